// Which gateways hold a shopper's sockets, so a shopper's news goes to those gateways only
// (live/shopper-news.ts) instead of to every gateway.
//
// One sorted set per shopper: member = gateway id, score = when that gateway last said it holds
// a socket of the shopper (its clock, ms). A gateway adds itself when the shopper's first socket
// opens there, removes itself when the last one closes, and re-adds every shopper it holds each
// ROUTE_REFRESH_MS (a key lost to a failover or a flushed Redis is back within that). A gateway
// that dies without removing itself ages out: readers skip members older than ROUTE_TTL_MS and
// writers trim them. A stale member costs one publish nobody hears, never a lost message.
//
// Why a directory and not K shopper shards that each gateway subscribes to while it holds one
// of their shoppers: a gateway with thousands of sockets holds shoppers of every shard, so shards
// turn back into a broadcast at exactly the scale where it hurts; the directory costs one small
// write per socket opened or closed and one read per news batch, and a gateway receives only
// its own shoppers' news however many gateways there are.
//
// Nothing is lost across a reconnect to another gateway: a page's `sub` reads the shopper's
// holds (gateway/shopper-holds.ts) only after this gateway's entry is written (`registered`).
// News whose route was read before that entry existed was produced before the read, so the
// holds the page gets already say it.
import calculateSlot from 'cluster-key-slot';
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis.ts';
import { isCluster } from '../redis.ts';
import type { Logger } from '../logger.ts';
import { luaCommands } from '../lua-commands.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ffGatewaysOf(numKeys: number, ...keysThenSince: (string | number)[]): Result<string, Context>;
    ffRegisterRoutes(numKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
  }
}

const defineRouteScripts = luaCommands(new URL('./lua/', import.meta.url), {
  ffGatewaysOf: 'gateways-of-n.lua', ffRegisterRoutes: 'register-n.lua',
});

/** How long a gateway's entry counts without a refresh. */
export const ROUTE_TTL_MS = 10 * 60_000;
export const ROUTE_REFRESH_MS = ROUTE_TTL_MS / 5;
/** A registration Redis refused is tried again this often. */
const RETRY_MS = 1_000;
/**
 * Sockets opened in one event-loop turn are registered together (register-n.lua: one script
 * call per slot and LOOKUP_CHUNK shoppers, where a pipeline of three commands per shopper still
 * cost the client an object, an encoding and a reply each): one pipeline per socket was the
 * largest part of what a connection cost the gateway, and thousands arrive at once when a
 * gateway dies and its shoppers come over. As with grab batches (gateway/grab-batcher.ts), the
 * turn's end can be far away in a flood, so a batch also leaves once it is this big or its first
 * shopper has waited REGISTER_AFTER_MS.
 */
const REGISTER_BATCH = 256;
const REGISTER_AFTER_MS = 50;

export function routeKey(prefix: string, shopper: string): string {
  return `${prefix}:route:${shopper}`;
}

/** Shoppers per gatewaysOf script call: one call runs to its end before Redis serves anyone else. */
const LOOKUP_CHUNK = 256;

/** The gateways that hold a socket of each shopper (a worker's side: an order batch's shoppers),
 *  in the order given. One script call per slot and LOOKUP_CHUNK shoppers (on a single Redis a
 *  batch's whole lookup is a call or a few), not a command per shopper; a slot with one of them
 *  gets the plain command. */
export async function gatewaysOf(redis: RedisClient, prefix: string, shoppers: readonly string[], now = Date.now()): Promise<string[][]> {
  if (shoppers.length === 0) return [];
  defineRouteScripts(redis);
  const since = now - ROUTE_TTL_MS;
  const keys = shoppers.map((s) => routeKey(prefix, s));
  const out: string[][] = new Array(keys.length);
  await Promise.all(chunksBySlot(redis, keys).map(async (idx) => {
    // a lone key (most of them on a cluster, where routes spread over the slots): the command
    // itself costs Redis less than a script call around it
    if (idx.length === 1) return void (out[idx[0]!] = await redis.zrangebyscore(keys[idx[0]!]!, since, '+inf'));
    const lines = (await redis.ffGatewaysOf(idx.length, ...idx.map((i) => keys[i]!), since)).split('\n');
    if (lines.length !== idx.length) throw new Error(`gatewaysOf: ${lines.length} lines for ${idx.length} shoppers`);
    idx.forEach((i, j) => { out[i] = lines[j] ? lines[j].split(' ') : []; });
  }));
  return out;
}

/** Indexes of `keys` in groups a script may take together: one slot (a cluster), at most
 *  LOOKUP_CHUNK each. */
function chunksBySlot(redis: RedisClient, keys: readonly string[]): number[][] {
  const bySlot = new Map<number, number[]>();
  const cluster = isCluster(redis);
  keys.forEach((key, i) => {
    const slot = cluster ? calculateSlot(key) : 0;
    const g = bySlot.get(slot);
    if (g) g.push(i);
    else bySlot.set(slot, [i]);
  });
  const chunks: number[][] = [];
  for (const g of bySlot.values()) for (let at = 0; at < g.length; at += LOOKUP_CHUNK) chunks.push(g.slice(at, at + LOOKUP_CHUNK));
  return chunks;
}

/** A gateway's own entries in the directory. */
export class ShopperRoutes {
  /** open sockets per shopper on this gateway */
  private readonly sockets = new Map<string, number>();
  /** the last registration of each shopper, settled (never rejects) */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly retry = new Set<string>();
  /** shoppers whose entry may be missing although a socket of theirs is open here */
  private readonly unsure = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private failing = false;
  /** shoppers whose first socket opened since the last batch, and that batch's settling */
  private queued = new Set<string>();
  private queuedSince = 0;
  private batch: { done: Promise<void>; settle(): void } | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly gatewayId: string,
    private readonly logger: Logger,
    /** shoppers whose entry was missing or in doubt and is written now: news routed meanwhile
     *  may not have reached their sockets here */
    private readonly onRestored: (shoppers: readonly string[]) => void = () => {},
  ) {
    // gateways-of-n.lua answers ids joined by spaces and newlines
    if (!/^\S+$/.test(gatewayId)) throw new Error(`shopper routes: gateway id ${JSON.stringify(gatewayId)} is empty or holds white space`);
  }

  start(): void {
    this.timers = [
      setInterval(() => void this.register([...this.sockets.keys()]), ROUTE_REFRESH_MS),
      setInterval(() => {
        // while the connection is down every command would fail one by one (thousands of
        // them a second with a dead gateway's shoppers here): its return writes them all
        if (this.retry.size === 0 || this.refusing) return;
        const again = [...this.retry].filter((s) => this.sockets.has(s));
        this.retry.clear();
        void this.register(again);
      }, RETRY_MS),
    ];
    for (const t of this.timers) t.unref();
    this.redis.on('ready', this.rewriteAll);
    // a cluster stays ready while a master fails over; its replacement shows up as a new node
    if (isCluster(this.redis)) this.redis.on('+node', this.rewriteAll);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.redis.off('ready', this.rewriteAll);
    this.redis.off('+node', this.rewriteAll);
  }

  /** Whether a command now would be refused for want of a connection: a fail-fast one
   *  (redis.ts connectFailFast, no offline queue) while it reconnects. */
  private get refusing(): boolean {
    return this.redis.status !== 'ready' && this.redis.options.enableOfflineQueue === false;
  }

  /** The connection is back: whatever Redis holds now may predate writes it acknowledged. */
  private readonly rewriteAll = (): void => {
    for (const s of this.sockets.keys()) {
      this.unsure.add(s);
      this.enqueue(s);
    }
  };

  /** A socket of `shopper` opened here. */
  opened(shopper: string): void {
    const n = this.sockets.get(shopper) ?? 0;
    this.sockets.set(shopper, n + 1);
    if (n === 0) this.enqueue(shopper);
  }

  private enqueue(shopper: string): void {
    if (!this.batch) {
      let settle!: () => void;
      const done = new Promise<void>((r) => { settle = r; });
      this.batch = { done, settle };
      this.queuedSince = performance.now();
      setImmediate(this.flush);
    }
    this.queued.add(shopper);
    this.writes.set(shopper, this.batch.done);
    if (this.queued.size >= REGISTER_BATCH || performance.now() - this.queuedSince >= REGISTER_AFTER_MS) this.flush();
  }

  private readonly flush = (): void => {
    const batch = this.batch;
    if (!batch) return;
    // a shopper whose socket closed before its turn came needs no entry
    const shoppers = [...this.queued].filter((s) => this.sockets.has(s));
    this.queued.clear();
    this.batch = null;
    void this.register(shoppers).then(batch.settle);
  };

  /** A socket of `shopper` closed here. */
  closed(shopper: string): void {
    const n = this.sockets.get(shopper) ?? 0;
    if (n > 1) return void this.sockets.set(shopper, n - 1);
    this.sockets.delete(shopper);
    this.writes.delete(shopper);
    this.retry.delete(shopper);
    this.unsure.delete(shopper);
    this.redis.zrem(routeKey(this.prefix, shopper), this.gatewayId).catch(() => {
      // the entry ages out after ROUTE_TTL_MS; until then this gateway drops the shopper's news
    });
  }

  /** Resolves once this gateway's entry for `shopper` was written, or its write failed (then
   *  it is retried); a `sub`'s holds are read after it. */
  registered(shopper: string): Promise<void> {
    return this.writes.get(shopper) ?? Promise.resolve();
  }

  /** Shoppers with a socket here (tests, metrics). */
  get shoppers(): number {
    return this.sockets.size;
  }

  private register(shoppers: readonly string[]): Promise<void> {
    if (shoppers.length === 0) return Promise.resolve();
    if (this.refusing) {
      // refused at once, as each command would be: written again when the connection is back
      this.settle(shoppers, new Set(shoppers), new Error(`redis connection ${this.redis.status}`));
      return Promise.resolve();
    }
    defineRouteScripts(this.redis);
    const now = Date.now();
    const keys = shoppers.map((s) => routeKey(this.prefix, s));
    // one script call per slot and LOOKUP_CHUNK shoppers, not three commands per shopper
    const chunks = chunksBySlot(this.redis, keys);
    const done = Promise.all(chunks.map((idx) =>
      this.redis.ffRegisterRoutes(idx.length, ...idx.map((i) => keys[i]!), now, now - ROUTE_TTL_MS, this.gatewayId, ROUTE_TTL_MS).then(
        () => null,
        (err: unknown) => ({ err, idx }),
      ))).then((outcomes) => {
      const failed = new Set<string>();
      let firstErr: unknown;
      for (const o of outcomes) {
        if (!o) continue;
        firstErr ??= o.err;
        for (const i of o.idx) failed.add(shoppers[i]!);
      }
      this.settle(shoppers, failed, firstErr);
    });
    for (const s of shoppers) this.writes.set(s, done);
    return done;
  }

  private settle(shoppers: readonly string[], failed: Set<string>, err: unknown): void {
    const restored: string[] = [];
    for (const s of shoppers) {
      if (failed.has(s)) {
        this.retry.add(s);
        // its socket was told it is registered (`registered` resolves on a failure too)
        this.unsure.add(s);
      } else if (this.unsure.delete(s) && this.sockets.has(s)) {
        restored.push(s);
      }
    }
    if (failed.size > 0 && !this.failing) this.logger.warn({ err, shoppers: failed.size }, 'shopper routes: registration failed, retrying');
    else if (failed.size === 0 && this.failing) this.logger.info('shopper routes: registrations work again');
    this.failing = failed.size > 0;
    if (restored.length > 0) this.onRestored(restored);
  }
}
