// `held` is answered as soon as Redis decided; new holds are admitted behind the answer, every
// hold of one ADMIT_WINDOW_MS (any deal, any socket) in ONE order job. A graceful stop admits
// what the window still holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { createQueues, orderRowsOfJob, type OrderGroupsJob } from '../../src/admission/queues.ts';

describe('admission window', () => {
  let engine: RunningEngine;
  let dealIds: string[];
  let queues: ReturnType<typeof createQueues>;
  const WINDOW_MS = 1_000;
  let stopped = false;

  beforeAll(async () => {
    engine = await startEngine({ ADMIT_WINDOW_MS: String(WINDOW_MS) });
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { stock: 10, limit: 2, startsIn: -1_000 }, { stock: 10, limit: 2, startsIn: -1_000 }]));
    await warmNow(engine.env, dealIds);
    queues = createQueues(engine.config, engine.env.redis);
  });
  afterAll(async () => {
    await queues?.orders.close();
    if (!stopped) await engine?.stop();
    await engine?.env.cleanup();
  });

  const jobsInQueue = async () => Object.values(await queues.orders.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed'))
    .reduce((a, b) => a + b, 0);
  const orderRows = async () => Number((await engine.env.pool.query(
    'SELECT count(*) FROM orders WHERE deal_id = ANY($1::bigint[])', [dealIds])).rows[0].count);

  it('answers before admitting, then admits the window as one job of both deals', async () => {
    const sockets = await Promise.all([0, 1, 2].map(async () => ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token)));
    const started = Date.now();
    const holds: string[] = [];
    // three grabs, each in its own batch (the next is sent after the previous answer)
    for (const [i, s] of sockets.entries()) {
      s.send({ t: 'grab', deal: dealIds[i % 2]!, qty: 1, rid: `w${i}` });
      const answer = await s.answerTo(`w${i}`);
      expect(answer).toMatchObject({ t: 'held' });
      if (answer.t === 'held') holds.push(answer.hold);
    }
    // answered, not admitted yet (unless this machine took the whole window to answer three)
    if (Date.now() - started < WINDOW_MS - 200) expect(await jobsInQueue()).toBe(0);
    await waitFor(async () => (await orderRows()) === 3, '3 order rows');
    expect(await jobsInQueue()).toBe(1);
    const [job] = await queues.orders.getJobs(['waiting', 'active', 'completed']);
    expect(orderRowsOfJob(job!.data).map((h) => h.hold)).toEqual(holds);
    // one group per grab batch, each batch another deal or another instant
    expect((job!.data as OrderGroupsJob).groups).toHaveLength(3);
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
    const job = await queues.orders.getJob(answer.t === 'held' ? answer.hold : '');
    expect(job?.data).toMatchObject({ hold: answer.t === 'held' ? answer.hold : '?', dealId: dealIds[0] });
  });
});
