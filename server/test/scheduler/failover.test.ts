// Leader failover with real scheduler processes on the default lock settings: whenever the leader
// dies (kill -9) or stalls (SIGSTOP) around a deal's opening second, the deal is still `live` in
// Postgres within a second of its start, and a stalled leader that wakes up steps down instead of
// acting beside the new one. Times are Redis/Postgres time stamps (the same clock on this host).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createPool } from '../../src/db/pool.ts';
import { insertDeal, dealRow, dealEvents, redisOffset } from './fixtures.ts';
import { fencedLeader, said, spawnScheduler, stopAll, type SchedulerProcess } from './scheduler-process.ts';

/** the issue's deadline: a due deal is live within this long of its second */
const DEADLINE_MS = 1_000;

describe('scheduler failover (real processes, default lock settings)', () => {
  let env: TestEnv;
  let offset = 0;
  const procs: SchedulerProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    offset = await redisOffset(env.redis);
  });
  afterAll(async () => {
    await stopAll(procs);
    await env?.cleanup();
  });

  const now = () => Date.now() + offset;
  const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - now())));

  /** Two live scheduler processes, one of them the fenced leader. */
  async function pair(): Promise<{ leader: SchedulerProcess; standby: SchedulerProcess; fence: number }> {
    while (procs.filter((p) => p.alive()).length < 2) procs.push(await spawnScheduler(env));
    const live = procs.filter((p) => p.alive());
    const f = await waitFor(async () => {
      const l = await fencedLeader(env.pool);
      return l && live.some((p) => p.pid === l.pid) ? l : null;
    }, 'a leader among the live processes', 20_000);
    const leader = live.find((p) => p.pid === f.pid)!;
    return { leader, standby: live.find((p) => p !== leader)!, fence: f.token };
  }

  /** A deal opening on a whole second a few seconds ahead, already warming. */
  async function dueDeal(aheadMs = 3_000): Promise<{ dealId: string; startsAt: number }> {
    const startsAt = Math.ceil((now() + aheadMs) / 1000) * 1000;
    const { dealId } = await insertDeal(env.pool, { startsAt, endsAt: startsAt + 60_000 });
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'warming', 'warming', 5_000);
    expect(now()).toBeLessThan(startsAt - 600); // time left to kill before the opening
    return { dealId, startsAt };
  }

  /** Waits (generously, so a late open is measured rather than timed out) for `live`. */
  async function opened(dealId: string, startsAt: number, what: string) {
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'live', `${what}: live`, 15_000, 10);
    const row = await dealRow(env.pool, dealId);
    const { rows } = await env.pool.query<{ at_ms: number; fence: number }>(
      `SELECT (extract(epoch FROM at) * 1000)::float8 AS at_ms, fence FROM deal_events
        WHERE deal_id = $1 AND to_state = 'live'`, [dealId]);
    expect(rows).toHaveLength(1);
    const late = Math.max(row.opened_ms!, rows[0]!.at_ms) - startsAt;
    const news = procs.flatMap((p) => p.logs.filter((l) => /^scheduler: (leadership|standing|cannot|lease)/.test(l.msg ?? ''))
      .map((l) => ({ at: Number(l.time) - startsAt, line: `${p.pid} ${l.msg} ${l.fence ?? ''} ${l.fenceMs ?? l.why ?? ''}` })))
      .filter((n) => n.at > -3_000).sort((a, b) => a.at - b.at);
    console.log(`${what}: ${news.map((n) => `[${n.at} ms] ${n.line}`).join('; ')}`);
    console.log(`${what}: live at +${Math.round(late)} ms after its second (opened_at +${Math.round(row.opened_ms! - startsAt)}, event +${Math.round(rows[0]!.at_ms - startsAt)}), fence ${rows[0]!.fence}`);
    return { late, fence: Number(rows[0]!.fence) };
  }

  it('opens within a second when the leader is killed 0.5 s before the opening second', async () => {
    const { leader, standby, fence } = await pair();
    const { dealId, startsAt } = await dueDeal();
    await until(startsAt - 500);
    leader.child.kill('SIGKILL');
    console.log(`kill -9 leader at ${Math.round(now() - startsAt)} ms`);
    await leader.exited();
    const { late, fence: by } = await opened(dealId, startsAt, 'killed at -500 ms');
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(DEADLINE_MS);
    expect(by).toBeGreaterThan(fence); // the standby opened it, under its own term
    await waitFor(() => said(standby, 'scheduler: leadership gained') === 1, 'standby logs its new term');
    expect(said(standby, 'scheduler: standing by')).toBe(1); // once per change, not per retry
  });

  it('opens within a second when the leader is killed at the opening second', async () => {
    const { leader } = await pair();
    const { dealId, startsAt } = await dueDeal();
    await until(startsAt);
    leader.child.kill('SIGKILL');
    console.log(`kill -9 leader at ${Math.round(now() - startsAt)} ms`);
    await leader.exited();
    const { late } = await opened(dealId, startsAt, 'killed at 0 ms');
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(DEADLINE_MS);
  });

  it('a stalled leader loses the lease, the standby opens on time, and the old leader steps down when it wakes', async () => {
    const { leader, standby, fence } = await pair();
    const { dealId, startsAt } = await dueDeal();
    await until(startsAt - 500);
    leader.child.kill('SIGSTOP'); // an event-loop stall, as long as we like
    const { late, fence: by } = await opened(dealId, startsAt, 'stalled at -500 ms');
    expect(late).toBeLessThan(DEADLINE_MS);
    expect(by).toBeGreaterThan(fence);

    leader.child.kill('SIGCONT');
    await waitFor(() => said(leader, 'scheduler: leadership lost') === 1, 'the woken leader steps down', 5_000)
      .catch((err: unknown) => {
        console.log(`woken leader: alive ${leader.alive()}, ${leader.child.exitCode ?? leader.child.signalCode}`,
          leader.logs.slice(-8).map((l) => `${l.msg} ${JSON.stringify(l.err ?? l.why ?? '')}`));
        throw err;
      });
    await waitFor(() => said(leader, 'scheduler: standing by') >= 1, 'the woken leader stands by', 5_000);
    // the next deal is opened once, by the new term only
    const next = await dueDeal(2_000);
    await opened(next.dealId, next.startsAt, 'next deal after the stall');
    for (const id of [dealId, next.dealId]) {
      const events = await dealEvents(env.pool, id);
      expect(events.filter((e) => e.to_state === 'live')).toEqual([{ from_state: 'warming', to_state: 'live', fence: by }]);
    }
    expect((await fencedLeader(env.pool))?.pid).toBe(standby.pid);
    expect(said(standby, 'scheduler: leadership lost')).toBe(0);
  });

  it('a transition left open by a stalled leader does not hold the new term off', async () => {
    const { leader, fence } = await pair();
    const { dealId, startsAt } = await dueDeal();
    // a transition's transaction as a leader stalled after its fence check leaves it: the fence
    // row held FOR SHARE, nothing more coming on that connection
    const stalledPool = createPool(env.config, 1);
    const ended: Error[] = [];
    stalledPool.on('error', (err) => ended.push(err));
    const tx = await stalledPool.connect();
    tx.on('error', (err) => ended.push(err));
    await tx.query('BEGIN');
    await tx.query('SELECT token FROM scheduler_fence FOR SHARE');
    await until(startsAt - 500);
    leader.child.kill('SIGSTOP');
    try {
      const { late, fence: by } = await opened(dealId, startsAt, 'stalled mid-transition at -500 ms');
      expect(late).toBeLessThan(DEADLINE_MS);
      expect(by).toBeGreaterThan(fence);
      await waitFor(() => ended.length > 0, 'the stale transaction ended by the new term', 2_000);
    } finally {
      tx.release(true);
      await stalledPool.end();
      leader.child.kill('SIGKILL');
      await leader.exited();
    }
  });
});
