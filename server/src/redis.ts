import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** A plain connection for commands and Lua. No keyPrefix: keys are built in stock/keys.ts
 *  and BullMQ takes its own `prefix`. */
export function createRedis(config: Pick<Config, 'redisUrl'>, opts: RedisOptions = {}): Redis {
  return new Redis(config.redisUrl, { lazyConnect: false, enableAutoPipelining: false, ...opts });
}

/** Connections BullMQ workers and subscribers use must never give up on a command. */
export function createBlockingRedis(config: Pick<Config, 'redisUrl'>): Redis {
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
  config: Pick<Config, 'redisUrl' | 'redisTimeoutMs'>, onError: (err: Error) => void = () => {},
): Promise<Redis> {
  const redis = createRedis(config, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: config.redisTimeoutMs,
    // back within half a second of Redis, without hammering a dead port meanwhile
    retryStrategy: (times) => Math.min(50 * times, 500),
  });
  // without a listener ioredis prints every failed reconnect to the console
  redis.on('error', onError);
  if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  return redis;
}

/** True when `err` says Redis was not reached or did not answer in time (as opposed to Redis
 *  answering with an error, e.g. a script error, which is a bug to log, not an outage). */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof ReplyError) return false;
  return err.name === 'MaxRetriesPerRequestError' || err instanceof NoAnswerError || err instanceof RedisDownError
    || /^(Command timed out|Stream isn't writeable|Connection is closed)/.test(err.message);
}

/** Refused without trying Redis, which is known down (see RedisHealth). */
export class RedisDownError extends Error {
  constructor() {
    super('redis is down: not tried');
    this.name = 'RedisDownError';
  }
}

export class NoAnswerError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'NoAnswerError';
  }
}

/** `p`, or a NoAnswerError after `ms`; `p` itself runs on (its outcome is dropped). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(what, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
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

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    private readonly probeMs = 200,
  ) {}

  get up(): boolean {
    return this.downSince === null;
  }

  /** A caller answered `unavailable` without trying Redis (counted for the recovery line). */
  refuse(n = 1): void {
    this.refused += n;
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
export async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Removes every key matching `pattern` (SCAN + UNLINK, never KEYS): test and bench namespaces. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
