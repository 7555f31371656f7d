// The scheduler: any number may run, one leads. Leadership is a short redlock lease (lease.ts),
// renewed four times per LOCK_TTL_MS, plus a fencing token raised in Postgres on every term
// (fence.ts), so a leader that stalls past its lease is replaced and can no longer change
// anything. A standby stays armed: it keeps the schedule and the Redis clock loaded and wakes
// when the lock can next be free (its PTTL, looked at least every few tens of ms), so when a
// leader dies the standby leads about one lease later and its first pass opens what is due.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { FailureLog, type RedisClient } from '../redis.ts';
import type pg from 'pg';
import Redlock, { ResourceLockedError } from 'redlock';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { schedulerKeys } from './keys.ts';
import { channels, duplicateSubscriber, Subscription } from '../channels.ts';
import { createQueues, type AdmissionQueues } from '../admission/queues.ts';
import { raiseFence, retractLeader } from './fence.ts';
import { explainLockError, Lease, type RenewalWatch } from './lease.ts';
import { LeaderTerm } from './leader-term.ts';
import { REFRESH_MS, Schedule } from './schedule.ts';
import type { ReconcileReport } from './reconcile.ts';
import { ReminderSender } from '../reminders/reminder-sender.ts';

export interface SchedulerDeps {
  config: Readonly<Config>;
  redis: RedisClient;
  pool: pg.Pool;
  logger: Logger;
  /** defaults to `<hostname>:<pid>:<random>` */
  nodeId?: string;
}

export interface Scheduler {
  readonly nodeId: string;
  isLeader(): boolean;
  /** the fencing token of the current term while leading, else null */
  fence(): number | null;
  /** the report of the last reconcile this node ran as leader */
  lastReconcile(): ReconcileReport | null;
  /** stop acting, release the lock, close what it opened; the caller's redis/pool stay open */
  close(): Promise<void>;
}

const CLOCK_SAMPLE_MS = 1_000;
/** how often the leader looks for "Remind me" pushes that are due */
const REMINDER_CHECK_MS = 1_000;

export async function startScheduler(deps: SchedulerDeps): Promise<Scheduler> {
  const { config, redis, pool } = deps;
  const nodeId = deps.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const logger = deps.logger.child({ component: 'scheduler', node: nodeId });
  const ttl = config.lockTtlMs;
  // renewing at a quarter of the lease leaves three quarters for a stall or a slow Redis
  const renewEvery = Math.max(50, Math.floor(ttl / 4));
  // how stale a standby's view of the lock may get; the lock's PTTL wakes it sooner
  const pollMax = Math.min(100, Math.floor(ttl / 5));
  const { lock: lockKey, leader: schedulerLeader } = schedulerKeys(config.keyPrefix);

  // one attempt per call: the loop below decides when to try again
  const redlock = new Redlock([redis], { retryCount: 0 });
  // each of these errors also fails the call that met it, which logs it with its cause below
  redlock.on('error', (err) => {
    if (!(err instanceof ResourceLockedError)) logger.debug({ err }, 'redlock: client error');
  });
  // A failing lock call is logged with what Redis said (explainLockError), once per streak: a
  // failed attempt to lead as `cannot lead` when the role changes to it; a term's failed
  // renewals once per term (then a reminder with the count every 10 s, and a line when they
  // work again). "Locked by another node" is no error.
  const renewalLog = (): RenewalWatch => {
    const log = new FailureLog(logger, 'scheduler: renewing the lease');
    return { failed: (err) => log.fail(err), renewed: () => log.ok() };
  };

  let closing = false;
  let term: { leader: LeaderTerm; ctl: AbortController; fence: number; lease: Lease } | null = null;
  /** what this node last said about its leadership: each change is logged once */
  let role: 'leading' | 'standby' | 'unable' | null = null;
  let last: ReconcileReport | null = null;
  let queues: AdmissionQueues | null = null;
  const wake = new AbortController(); // interrupts the standby's wait on close

  // A new term ends the transaction a stalled leader left open (fence.ts); when that leader's
  // process wakes, its connection is gone, idle in the pool or checked out mid-transition. An
  // 'error' nobody listens to would crash the process instead of letting it step down.
  const onPgError = (err: Error) => logger.warn({ err }, 'scheduler: a Postgres connection was ended');
  const guarded = new WeakSet<pg.PoolClient>();
  const guard = (client: pg.PoolClient) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', onPgError);
  };
  pool.on('error', onPgError);
  pool.on('acquire', guard);

  const schedule = new Schedule(redis, pool, config.prewarmSeconds * 1000,
    (err) => logger.warn({ err }, 'scheduler: schedule refresh failed'));
  const refresh = () => (term && !term.ctl.signal.aborted ? term.leader.requestRefresh() : schedule.refresh());

  const subscriber = duplicateSubscriber(redis);
  subscriber.on('error', (err: unknown) => logger.warn({ err }, 'scheduler: subscriber connection error'));
  const subscription = await Subscription.open(subscriber, [channels(config.keyPrefix).dealChanged], () => void refresh());

  // armed before the first attempt, and kept so while standing by
  await schedule.clock.sample(3).catch((err: unknown) => logger.warn({ err }, 'scheduler: clock sample failed'));
  await schedule.refresh();
  const reminders = config.push ? new ReminderSender(config.push, pool, logger, config.publicUrl) : null;
  const timers = [
    setInterval(() => { if (!term) void schedule.refresh(); }, REFRESH_MS),
    setInterval(() => void schedule.clock.sample().catch(() => {}), CLOCK_SAMPLE_MS),
    setInterval(() => {
      if (reminders && term && !term.ctl.signal.aborted && term.lease.valid()) {
        void reminders.sendDue().catch((err: unknown) => logger.warn({ err }, 'scheduler: reminders failed'));
      }
    }, REMINDER_CHECK_MS),
  ];

  async function standingBy(): Promise<void> {
    if (role === 'standby') return;
    role = 'standby';
    const leader = await redis.get(schedulerLeader).catch(() => null);
    logger.info({ leader }, 'scheduler: standing by');
  }

  async function lead(lease: Lease): Promise<void> {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    lease.signal.addEventListener('abort', stop, { once: true });
    wake.signal.addEventListener('abort', stop, { once: true });
    try {
      if (closing) return;
      const t0 = performance.now();
      const fence = await raiseFence(redis, pool, config.keyPrefix, nodeId);
      // the fence waits for transitions in flight; a slow one shows here
      const fenceMs = Math.round(performance.now() - t0);
      if (ctl.signal.aborted || !lease.valid()) {
        logger.warn({ fence, fenceMs }, 'scheduler: lease ran out while raising the fence');
        return;
      }
      role = 'leading';
      logger.info({ fence, fenceMs }, 'scheduler: leadership gained');
      const leader = new LeaderTerm({
        config, redis, pool, logger, nodeId, fence, schedule, signal: ctl.signal, stepDown: stop,
        leaseValid: () => lease.valid(),
        queues: () => (queues ??= createQueues(config, redis)),
        onReconciled: (r) => { last = r; },
      });
      term = { leader, ctl, fence, lease };
      try {
        await leader.run();
      } finally {
        term = null;
        role = null;
        const lost = lease.signal.aborted ? lease.signal.reason as Error : null;
        const why = closing ? 'closing' : lost ? lost.message : 'stepped down';
        // a planned stop is news, an unplanned one a warning
        logger[closing ? 'info' : 'warn']({ fence, why }, 'scheduler: leadership lost');
      }
    } finally {
      lease.signal.removeEventListener('abort', stop);
      wake.signal.removeEventListener('abort', stop);
    }
  }

  async function attempt(): Promise<number> {
    const pttl = await redis.pttl(lockKey);
    if (pttl > 0 || pttl === -1) {
      await standingBy();
      return pttl > 0 ? Math.min(pttl + 1, pollMax) : pollMax;
    }
    const lease = await Lease.tryAcquire(redlock, lockKey, ttl, renewEvery, renewalLog());
    if (!lease) {
      await standingBy(); // another node was quicker; its PTTL says how long to wait
      return 0;
    }
    try {
      await lead(lease);
    } finally {
      const refused = await lease.release();
      if (refused) logger.warn({ err: refused }, 'scheduler: releasing the lease failed (it runs out by itself)');
    }
    return 0;
  }

  async function loop(): Promise<void> {
    while (!closing) {
      let wait: number;
      try {
        wait = await attempt();
      } catch (err) {
        const explained = await explainLockError(err);
        if (role !== 'unable') logger.warn({ err: explained }, 'scheduler: cannot lead');
        role = 'unable';
        wait = pollMax;
      }
      if (closing) break;
      await sleep(Math.max(5, wait), wake.signal);
    }
  }
  const looping = loop();

  return {
    nodeId,
    isLeader: () => term !== null && !term.ctl.signal.aborted && term.lease.valid(),
    fence: () => (term && !term.ctl.signal.aborted && term.lease.valid() ? term.fence : null),
    lastReconcile: () => last,
    async close() {
      if (closing) return looping;
      closing = true;
      wake.abort();
      for (const t of timers) clearInterval(t);
      await looping; // the term has stopped and its lease is released
      await reminders?.idle();
      await schedule.inFlight;
      pool.off('error', onPgError);
      pool.off('acquire', guard);
      await retractLeader(redis, config.keyPrefix, nodeId).catch(() => {});
      if (queues) await queues.close();
      await subscription.close();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
