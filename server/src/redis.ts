import calculateSlot from 'cluster-key-slot';
import { Cluster, Command, Redis, ReplyError, type ChainableCommander, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** A connection to the engine's Redis: one server, or a Redis Cluster (REDIS_CLUSTER_NODES). The
 *  commands the engine uses exist on both; what differs (a pipeline or a multi-key command
 *  must stay inside one slot, a SCAN covers one node) is handled where it matters. */
export type RedisClient = Redis | Cluster;

export type RedisConfig = Pick<Config, 'redisUrl' | 'redisClusterNodes'>;

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/**
 * The one way the server, scripts, tests and bench connect. No keyPrefix: keys are built in
 * stock/keys.ts and BullMQ takes its own `prefix`. On a cluster, `opts` apply to every node's
 * connection and the offline queue is the cluster's own; commands go to masters only (a
 * replica's answer may lag a grab the master already decided).
 */
export function createRedis(config: RedisConfig, opts: RedisOptions = {}): RedisClient {
  const options: RedisOptions = { enableAutoPipelining: false, ...opts };
  if (config.redisClusterNodes.length === 0) return new Redis(config.redisUrl, { lazyConnect: false, ...options });
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions, scaleReads: 'master', enableAutoPipelining,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
  };
  return new Cluster(config.redisClusterNodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
}

/** One command of a pipeline and the key that decides its slot. */
export interface PipedCommand {
  key: string;
  add(pipe: ChainableCommander): void;
}

export type PipelineReply = [Error | null, unknown];

/**
 * Commands on keys of many slots (e.g. every live deal's hash) in one round trip per node:
 * one pipeline on a single Redis; on a cluster one pipeline per slot, all sent at once (a
 * cluster pipeline may only touch one slot). Replies in the order of `commands`; a group that
 * fails as a whole gives its error to each of its commands, like a pipeline does.
 */
export async function execPiped(redis: RedisClient, commands: readonly PipedCommand[]): Promise<PipelineReply[]> {
  if (commands.length === 0) return [];
  const groups = new Map<number, number[]>();
  if (isCluster(redis)) {
    commands.forEach((c, i) => {
      const slot = calculateSlot(c.key);
      const g = groups.get(slot);
      if (g) g.push(i);
      else groups.set(slot, [i]);
    });
  } else {
    groups.set(0, commands.map((_, i) => i));
  }
  const out: PipelineReply[] = new Array(commands.length);
  await Promise.all([...groups.values()].map(async (idx) => {
    const pipe = redis.pipeline();
    for (const i of idx) commands[i]!.add(pipe);
    let replies: PipelineReply[];
    try {
      replies = ((await pipe.exec()) ?? []) as PipelineReply[];
    } catch (err) {
      replies = idx.map(() => [err as Error, null]);
    }
    idx.forEach((i, j) => { out[i] = replies[j] ?? [new Error('pipeline: no reply'), null]; });
  }));
  return out;
}

/**
 * The connection that carries commands on `key`: the client itself on a single Redis; on a
 * cluster the master that owns the key's slot, as the client routes it. For commands that act
 * on the connection rather than a key (WAIT counts this connection's own writes). Null while the
 * cluster knows no master for the slot (it lost it and has not learned the new one yet).
 */
export function connectionOfKey(redis: RedisClient, key: string): Redis | null {
  if (!isCluster(redis)) return redis;
  const owner = redis.slots[calculateSlot(key)]?.[0];
  if (!owner) return null;
  return redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner) ?? null;
}

/** Another connection with the same options (e.g. for subscriber mode). */
export function duplicateRedis(redis: RedisClient): RedisClient {
  return isCluster(redis) ? redis.duplicate() : redis.duplicate();
}

/** Connections BullMQ workers and subscribers use must never give up on a command. */
export function createBlockingRedis(config: RedisConfig): RedisClient {
  return createRedis(config, { maxRetriesPerRequest: null });
}

/**
 * The gateway's command connection (grabs, pays, live counters, health): it fails fast rather
 * than wait for Redis. No offline queue, so a command issued while the connection is down is
 * refused at once instead of being sent later, after its shopper was told `unavailable`;
 * commands in flight when the connection drops are failed then (maxRetriesPerRequest 0) and not
 * resent; and a command a hung Redis never answers (its socket stays open) fails after
 * `redisTimeoutMs`. Resolves once the connection is ready: without an offline queue, commands
 * sent before that would fail, and a gateway that boots while Redis is down waits for it.
 */
export async function connectFailFast(
  config: RedisConfig & Pick<Config, 'redisTimeoutMs'>, onError: (err: Error) => void = () => {},
): Promise<RedisClient> {
  const redis = createRedis(config, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: config.redisTimeoutMs,
    // Nothing sent between connect and 'ready': ioredis's hand-shake (HELLO 3, CLIENT SETINFO)
    // and ready check (INFO) run under commandTimeout like any command, and a gateway busy for
    // longer than that (the loop in one long poll phase, see reconnectIfStarved) timed its own
    // hand-shake out and dropped the fresh connection, once a turn (8 s lost in one chaos run).
    // RESP2 needs no HELLO, and its replies are the shapes the engine reads. What the ready
    // check waited for, a Redis still loading its data, answers LOADING, which counts as
    // unreachable (isUnreachable); RedisHealth counts Redis up only once a PING is answered.
    protocol: 2,
    disableClientInfo: true,
    enableReadyCheck: false,
    // back within half a second of Redis, without hammering a dead port meanwhile
    retryStrategy: (times) => Math.min(50 * times, 500),
  });
  // without a listener ioredis prints every failed reconnect to the console
  redis.on('error', onError);
  if (!isCluster(redis)) redis.on('reconnecting', (delayMs: number) => reconnectDue.set(redis, Date.now() + delayMs));
  if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  return redis;
}

/** When a fail-fast connection's next reconnect is due (single Redis). */
const reconnectDue = new WeakMap<RedisClient, number>();
/** A reconnect this late is starved, not waiting. */
const STARVED_MS = 100;

/**
 * Starts a fail-fast connection's reconnect now if its timer is overdue. ioredis reconnects from
 * a timer, and timers run only between libuv's poll phases: on a gateway flooded with sockets
 * (a dead gateway's shoppers retrying grabs that are refused while Redis is down) one poll phase
 * handled tens of thousands of socket events and lasted 5-16 s, and the reconnect needs several
 * turns of the loop (the close, the timer, the connect, the ready check), so the gateway kept
 * refusing grabs for 20-70 s after Redis was back. Called from that traffic itself (socket events
 * run inside the poll phase), it cuts the wait to the I/O. Only when ioredis's pending timer can
 * be cancelled first (a private field of ioredis 6; without it nothing is done), so no second
 * attempt runs later, e.g. after the connection was closed on purpose.
 */
export function reconnectIfStarved(redis: RedisClient): boolean {
  const due = reconnectDue.get(redis);
  if (due === undefined || isCluster(redis) || redis.status !== 'reconnecting' || Date.now() < due + STARVED_MS) return false;
  const internals = redis as unknown as { reconnectTimeout?: NodeJS.Timeout | null };
  if (!internals.reconnectTimeout) return false;
  clearTimeout(internals.reconnectTimeout);
  internals.reconnectTimeout = null;
  reconnectDue.delete(redis);
  redis.connect().catch(() => {
    // a failure closes the connection again, and ioredis schedules the next attempt
  });
  return true;
}

/** True when `err` says Redis was not reached, did not answer in time or cannot answer yet
 *  (LOADING), as opposed to Redis answering with an error, e.g. a script error, which is a bug
 *  to log, not an outage. */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // a Redis still loading its data set answers nothing else yet
  if (err instanceof ReplyError) return err.message.startsWith('LOADING');
  return err.name === 'MaxRetriesPerRequestError' || err instanceof NoAnswerError || err instanceof RedisDownError
    || err instanceof ReplicaShortfallError
    || /^(Command timed out|Stream isn't writeable|Connection is closed)/.test(err.message);
}

/** Refused without trying Redis, which is known down (see RedisHealth). */
export class RedisDownError extends Error {
  constructor() {
    super('redis is down: not tried');
    this.name = 'RedisDownError';
  }
}

/** A grab batch Redis decided whose writes fewer than GRAB_WAIT_REPLICAS replicas confirmed in
 *  time: its shoppers are answered unavailable and resend (gateway/grab-batcher.ts). */
export class ReplicaShortfallError extends Error {
  constructor(readonly acked: number, readonly wanted: number) {
    super(`grab batch: ${acked} of ${wanted} replicas confirmed it in time`);
    this.name = 'ReplicaShortfallError';
  }
}

export class NoAnswerError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'NoAnswerError';
  }
}

/**
 * A bound on an answer, judged after the poll phase that follows it. Timers run before libuv's
 * poll phase, which is where a reply is read: on a gateway flooded with socket events one poll
 * phase lasted seconds (see reconnectIfStarved), so a reply that had long arrived was still
 * unread when the timer ran, and the command "timed out". After a Redis restart every probe of
 * RedisHealth did, and the gateway refused every grab for 20-40 s after Redis was back. The
 * verdict waits for the check phase (setImmediate), right after the next poll phase has read
 * what arrived: a dead or hung Redis is found at most one turn later than `ms`.
 */
function afterNextPoll(ms: number, fn: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(fn), ms);
}

/** `p`, or a NoAnswerError after `ms` (judged as afterNextPoll says); `p` itself runs on (its
 *  outcome is dropped). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = afterNextPoll(ms, () => reject(new NoAnswerError(what, ms)));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

// ioredis's `commandTimeout` (the fail-fast connection's bound on every command) judged the same
// way: a grab batch Redis had decided was answered `unavailable` when its reply sat unread behind
// a long poll phase, and that "timeout" started a RedisHealth probe that timed out the same way.
// Same contract as ioredis's own (Command.setTimeout: one timer, rejects an unsettled command
// with "Command timed out"), which _clearTimers still clears once the reply settles it.
{
  type TimedCommand = Pick<Command, 'isSettled' | 'reject'> & { _commandTimeoutTimer?: NodeJS.Timeout };
  Command.prototype.setTimeout = function setTimeout(this: Command, ms: number): void {
    const cmd = this as unknown as TimedCommand;
    if (cmd._commandTimeoutTimer) return;
    cmd._commandTimeoutTimer = afterNextPoll(ms, () => {
      if (!cmd.isSettled) cmd.reject(new Error('Command timed out'));
    });
  };
}

/**
 * Whether this gateway's Redis answers, as its grabs and pays find out. A command refused or
 * dropped for want of a connection means Redis is down at once: callers answer `unavailable`
 * without writing more commands into a connection that answers nothing. A command that only
 * timed out is a suspicion (a busy Redis, or this process too busy to read the reply in time,
 * looks the same from here): its caller answers `unavailable`, and a PING decides; Redis counts
 * as down only when that times out too, so a hung Redis (socket open, no answers) is found within two bounds and a
 * slow moment does not refuse every grab after it. While down, one PING at a time probes it back
 * up. One log line when Redis goes down and one when it answers again.
 */
export class RedisHealth {
  private downSince: number | null = null;
  private refused = 0;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private nudgedAt = 0;
  /** the connection is back: probe at once rather than at the next tick of a timer that a
   *  busy event loop may not run for seconds (see reconnectIfStarved) */
  private readonly onReady = (): void => {
    if (this.downSince !== null) this.probe();
  };

  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    private readonly probeMs = 200,
  ) {
    redis.on('ready', this.onReady);
  }

  get up(): boolean {
    return this.downSince === null;
  }

  /** A caller answered `unavailable` without trying Redis (counted for the recovery line). The
   *  refused traffic also drives the recovery, at most once per probe interval: timers (the
   *  probe's, ioredis's reconnect) may not run while it floods the event loop. */
  refuse(n = 1): void {
    this.refused += n;
    const now = performance.now();
    if (this.downSince === null || now - this.nudgedAt < this.probeMs) return;
    this.nudgedAt = now;
    if (!reconnectIfStarved(this.redis) && this.redis.status === 'ready') this.probe();
  }

  /** A command failed. Returns whether Redis was unreachable or too slow (the caller answers
   *  `unavailable`); only an unreachable Redis, or a confirmed silent one, counts as down. */
  failed(err: unknown, what: string): boolean {
    if (!isUnreachable(err)) return false;
    if (this.downSince !== null) return true;
    if (isTimeout(err)) {
      this.probe(() => this.markDown(err, what));
      return true;
    }
    this.markDown(err, what);
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
  }

  /** One PING, bounded like every command of this connection (the gateway's /healthz). */
  async check(what = 'health check'): Promise<void> {
    await withTimeout(this.redis.ping(), this.timeoutMs, what);
  }

  private markDown(err: unknown, what: string): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.refused = 0;
    this.logger.error({ err, what }, 'redis unreachable: answering unavailable until it answers again');
    this.timer = setInterval(() => this.probe(), this.probeMs);
    this.timer.unref();
  }

  private probe(onSilent?: () => void): void {
    if (this.probing) return;
    this.probing = true;
    withTimeout(this.redis.ping(), this.timeoutMs, 'probe').then(() => {
      if (this.downSince === null) return;
      this.logger.warn({ downMs: Date.now() - this.downSince, refusedMeanwhile: this.refused }, 'redis answers again');
      this.downSince = null;
      clearInterval(this.timer);
    }, () => onSilent?.()).finally(() => { this.probing = false; });
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof NoAnswerError || (err instanceof Error && err.message.startsWith('Command timed out'));
}

/** Logs a repeated failure (a timer's Redis call during an outage) at a sane rate: the first
 *  of a streak, then one line per `everyMs` with the count, and one when it works again. */
export class FailureLog {
  private failures = 0;
  private loggedAt = 0;

  constructor(private readonly logger: Logger, private readonly what: string, private readonly everyMs = 10_000) {}

  /** whether the last attempt failed */
  get failing(): boolean {
    return this.failures > 0;
  }

  fail(err: unknown): void {
    this.failures++;
    const now = Date.now();
    if (this.failures > 1 && now - this.loggedAt < this.everyMs) return;
    this.loggedAt = now;
    this.logger.warn({ err, failures: this.failures }, `${this.what} failed`);
  }

  ok(): void {
    if (this.failures === 0) return;
    this.logger.info({ failures: this.failures }, `${this.what} works again`);
    this.failures = 0;
  }
}

/** Redis `TIME` in epoch ms: the one clock that decides opening and closing. */
export async function redisNow(redis: RedisClient): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Removes every key matching `pattern` (SCAN + UNLINK, never KEYS): test and bench namespaces.
 *  On a cluster every master is scanned, and keys are unlinked one by one (one UNLINK may only
 *  name keys of one slot). */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      if (isCluster(redis)) await Promise.all(keys.map((k) => node.unlink(k)));
      else await node.unlink(...keys);
    } while (cursor !== '0');
  }
}
