// The scheduler: any number may run, one leads. Leadership is a redlock lock held with
// `using` (auto-extended while the routine runs) plus a fencing token raised in Postgres on
// every election; see fence.ts. Followers retry the lock every lockTtl/5, so a stopped or
// crashed leader is replaced within about one lock TTL.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { channels, globalKeys } from '../stock/keys.ts';
import { createQueues, type AdmissionQueues } from '../admission/queues.ts';
import { raiseFence, retractLeader } from './fence.ts';
import { LeaderTerm } from './leader-term.ts';
import type { ReconcileReport } from './reconcile.ts';

export interface SchedulerDeps {
  config: Readonly<Config>;
  redis: Redis;
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

export async function startScheduler(deps: SchedulerDeps): Promise<Scheduler> {
  const { config, redis, pool } = deps;
  const nodeId = deps.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const logger = deps.logger.child({ component: 'scheduler', node: nodeId });
  const ttl = config.lockTtlMs;
  const lockKey = globalKeys(config.keyPrefix).schedulerLock;

  const redlock = new Redlock([redis], {
    // acquisition is retried by the loop below; these govern extend and release
    retryCount: 3,
    retryDelay: Math.max(50, Math.floor(ttl / 20)),
    retryJitter: Math.max(10, Math.floor(ttl / 100)),
    // extend at half-life, leaving half a TTL for Redis hiccups before the lock is lost
    automaticExtensionThreshold: Math.floor(ttl / 2),
  });
  redlock.on('error', (err) => {
    if (!(err instanceof ResourceLockedError)) logger.debug({ err }, 'redlock: client error');
  });

  let closing = false;
  let term: { leader: LeaderTerm; ctl: AbortController; fence: number } | null = null;
  let last: ReconcileReport | null = null;
  let queues: AdmissionQueues | null = null;
  const wake = new AbortController(); // interrupts the follower's wait on close

  const subscriber = redis.duplicate();
  subscriber.on('error', (err) => logger.warn({ err }, 'scheduler: subscriber connection error'));
  subscriber.on('message', () => {
    if (term && !term.ctl.signal.aborted) void term.leader.requestRefresh();
  });
  await subscriber.subscribe(channels(config.keyPrefix).dealChanged);

  async function lead(signal: AbortSignal): Promise<void> {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    wake.signal.addEventListener('abort', stop, { once: true });
    if (closing) return;
    const fence = await raiseFence(redis, pool, config.keyPrefix, nodeId);
    if (ctl.signal.aborted) return;
    logger.info({ fence }, 'scheduler: became leader');
    const leader = new LeaderTerm({
      config, redis, pool, logger, nodeId, fence, signal: ctl.signal, stepDown: stop,
      queues: () => (queues ??= createQueues(config, redis)),
      onReconciled: (r) => { last = r; },
    });
    term = { leader, ctl, fence };
    try {
      await leader.run();
    } finally {
      term = null;
      signal.removeEventListener('abort', stop);
      wake.signal.removeEventListener('abort', stop);
      const why = signal.aborted ? 'lock lost' : closing ? 'closing' : 'stepped down';
      // a planned stop is news, a lost lock is a warning
      logger[closing ? 'info' : 'warn']({ fence, why, err: (signal as { error?: Error }).error }, 'scheduler: leadership ended');
    }
  }

  async function loop(): Promise<void> {
    while (!closing) {
      try {
        await redlock.using([lockKey], ttl, { retryCount: 0 }, lead);
      } catch (err) {
        // ExecutionError: someone else holds the lock (or we could not release a lost one)
        if (!(err instanceof ExecutionError)) logger.error({ err }, 'scheduler: leadership attempt failed');
      }
      if (closing) break;
      await sleep(Math.max(20, Math.floor(ttl / 5)), wake.signal);
    }
  }
  const looping = loop();

  return {
    nodeId,
    isLeader: () => term !== null && !term.ctl.signal.aborted,
    fence: () => (term && !term.ctl.signal.aborted ? term.fence : null),
    lastReconcile: () => last,
    async close() {
      if (closing) return looping;
      closing = true;
      wake.abort();
      await looping; // the term has stopped and `using` has released the lock
      await retractLeader(redis, config.keyPrefix, nodeId).catch(() => {});
      if (queues) await Promise.all([queues.orders.close(), queues.expiry.close(), queues.payments.close()]);
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
