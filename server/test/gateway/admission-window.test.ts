// `held` is answered as soon as Redis decided; new holds are admitted behind the answer, every
// hold of one ADMIT_WINDOW_MS (any deal, any socket) in ONE order job per admission shard its
// deals map to. A graceful stop admits what the window still holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { createQueues, orderRowsOfJob, type AdmissionQueues, type OrderGroupsJob } from '../../src/admission/queues.ts';
import { shardOfDeal } from '../../src/admission/shards.ts';

describe.each([1, 3])('admission window, ADMISSION_SHARDS=%i', (shards) => {
  let engine: RunningEngine;
  let dealIds: string[];
  let queues: AdmissionQueues;
  const WINDOW_MS = 1_000;
  let stopped = false;

  beforeAll(async () => {
    engine = await startEngine({ ADMIT_WINDOW_MS: String(WINDOW_MS), ADMISSION_SHARDS: String(shards) });
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { stock: 10, limit: 2, startsIn: -1_000 }, { stock: 10, limit: 2, startsIn: -1_000 }]));
    await warmNow(engine.env, dealIds);
    queues = createQueues(engine.config, engine.env.redis);
  });
  afterAll(async () => {
    await queues?.close();
    if (!stopped) await engine?.stop();
    await engine?.env.cleanup();
  });

  const jobsOf = (k: number) => queues.shards[k]!.orders.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  const jobsInQueue = async () => (await Promise.all(queues.shards.map((s) => jobsOf(s.shard)))).flat().length;
  const orderRows = async () => Number((await engine.env.pool.query(
    'SELECT count(*) FROM orders WHERE deal_id = ANY($1::bigint[])', [dealIds])).rows[0].count);

  it('answers before admitting, then admits the window as one job per shard of its deals', async () => {
    const shardOf = (dealId: string) => shardOfDeal(dealId, shards);
    // consecutive deal ids go round the shards: with 3 the two deals are in two shards
    expect(new Set(dealIds.map(shardOf)).size).toBe(Math.min(shards, 2));
    const sockets = await Promise.all([0, 1, 2].map(async () => ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token)));
    const started = Date.now();
    const holds: { hold: string; dealId: string }[] = [];
    // three grabs, each in its own batch (the next is sent after the previous answer)
    for (const [i, s] of sockets.entries()) {
      const dealId = dealIds[i % 2]!;
      s.send({ t: 'grab', deal: dealId, qty: 1, rid: `w${i}` });
      const answer = await s.answerTo(`w${i}`);
      expect(answer).toMatchObject({ t: 'held' });
      if (answer.t === 'held') holds.push({ hold: answer.hold, dealId });
    }
    // answered, not admitted yet (unless this machine took the whole window to answer three)
    if (Date.now() - started < WINDOW_MS - 200) expect(await jobsInQueue()).toBe(0);
    await waitFor(async () => (await orderRows()) === 3, '3 order rows');
    expect(await jobsInQueue()).toBe(Math.min(shards, 2));
    for (const s of queues.shards) {
      const mine = holds.filter((h) => shardOf(h.dealId) === s.shard).map((h) => h.hold);
      const jobs = await jobsOf(s.shard);
      expect(jobs).toHaveLength(mine.length ? 1 : 0);
      if (mine.length) expect(orderRowsOfJob(jobs[0]!.data).map((h) => h.hold)).toEqual(mine);
    }
    // one shard: one group per grab batch, each batch another deal or another instant
    if (shards === 1) expect(((await jobsOf(0))[0]!.data as OrderGroupsJob).groups).toHaveLength(3);
    for (const s of sockets) s.close();
  });

  it('a graceful stop admits the holds still in the window', async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    s.send({ t: 'grab', deal: dealIds[0]!, qty: 1, rid: 'last' });
    const answer = await s.answerTo('last');
    expect(answer).toMatchObject({ t: 'held' });
    const before = await jobsInQueue();
    stopped = true;
    await engine.stop();
    expect(await jobsInQueue()).toBe(before + 1);
    const job = await queues.forDeal(dealIds[0]!).orders.getJob(answer.t === 'held' ? answer.hold : '');
    expect(job?.data).toMatchObject({ hold: answer.t === 'held' ? answer.hold : '?', dealId: dealIds[0] });
  });
});
