// Env -> typed, validated, frozen options. One table maps each variable to its option, its
// parser and its default; a bad value fails at boot with the variable's name. Secrets never
// appear in logs (see `redactedConfig`).

import { loadRoomConfig, type RoomConfig } from './room/room-config.ts';

export const Roles = ['all', 'gateway', 'worker', 'scheduler'] as const;
export type Role = (typeof Roles)[number];

export const ShopperAuthModes = ['guest', 'jwt', 'both'] as const;
export type ShopperAuthMode = (typeof ShopperAuthModes)[number];
export const ShopperJwtAlgorithms = ['RS256', 'ES256'] as const;
export type ShopperJwtAlgorithm = (typeof ShopperJwtAlgorithms)[number];

/** The marketplace's ID tokens (OIDC-style JWTs) that identify shoppers. */
export interface ShopperJwtConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** pinned: a token whose header names another algorithm (none, HS256, ...) is refused */
  algorithms: ShopperJwtAlgorithm[];
  /** tolerance on exp / nbf for clocks that disagree */
  clockSkewSeconds: number;
  /** claim that names the shopper's city for the sales ticker (optional in the token) */
  cityClaim: string;
  /** a fetched key set is used this long before it is fetched again */
  jwksCacheSeconds: number;
  /** at most one fetch per this many seconds for a token whose key id is unknown */
  jwksCooldownSeconds: number;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** Web Push for "Remind me" (server/src/reminders/). */
export interface PushConfig {
  /** VAPID key pair (P-256, base64url), as `npx web-push generate-vapid-keys` prints it */
  vapidPublicKey: string;
  vapidPrivateKey: string;
  /** who push services contact about our pushes: mailto: or https: */
  vapidSubject: string;
  /** a reminder goes out this long before its deal opens */
  remindBeforeMs: number;
  /** where a subscription's endpoint may point: https hosts (`*.` for subdomains) or full origins */
  endpointAllow: readonly string[];
}

export interface Config {
  role: Role;
  host: string;
  port: number;
  publicUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster; when any are set every connection is a
   *  Cluster client and redisUrl is ignored */
  redisClusterNodes: readonly RedisNode[];
  /** a grab, pay or health check that Redis has not answered in this long is answered unavailable */
  redisTimeoutMs: number;
  databaseUrl: string;
  /** Postgres schema the engine's tables live in; tests use a fresh one each. */
  dbSchema: string;
  /** Prefix of every Redis key and BullMQ queue; tests use a fresh one each. */
  keyPrefix: string;
  sessionSecret: string;
  sessionTtlSeconds: number;
  /** who may be a shopper: guest sessions, the marketplace's ID tokens, or both */
  shopperAuth: ShopperAuthMode;
  /** null when no JWKS is configured: ID tokens are then refused */
  shopperJwt: ShopperJwtConfig | null;
  /** key of the hash that turns an account (iss, sub) into a shopper id */
  shopperIdSecret: string;
  allowedOrigins: string[];
  defaultHoldSeconds: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Messages over the rate limit a socket may send before it is closed as a flood. */
  floodCloseAfter: number;
  grabBatchMax: number;
  /** a deal without its own `stock_buckets` gets one stock bucket per this many units (0: one) */
  stockBucketUnits: number;
  /** GRAB_WAIT_REPLICAS: after each grab batch, WAIT for this many replicas of the deal's master
   *  before answering (0: answer at once; Redis replicates asynchronously) */
  grabWaitReplicas: number;
  /** GRAB_WAIT_MS: the longest that WAIT blocks; a batch not confirmed by then is answered unavailable */
  grabWaitMs: number;
  admitWindowMs: number;
  admitBatchMax: number;
  prewarmSeconds: number;
  schedulerTickMs: number;
  lockTtlMs: number;
  orderBatchMax: number;
  orderBatchWaitMs: number;
  workerConcurrency: number;
  /** ADMISSION_SHARDS: the order, expiry and payment queues are split into this many shards, each
   *  on its own hash tag (admission/shards.ts); every process of a deployment must agree on it */
  admissionShards: number;
  /** ADMISSION_SHARDS_CONSUMED: the shards this process's workers consume (default: all) */
  admissionShardsConsumed: readonly number[];
  stalledIntervalMs: number;
  reconcileIntervalMs: number;
  liveSnapshotMs: number;
  staticDir: string;
  logLevel: string;
  demoPaymentDeclineEvery: number;
  /** token the ops board and ops API require (Bearer or ?token=) */
  opsToken: string;
  /** value of one unit of each currency in a common base; GMV is converted with it */
  fxRates: Readonly<Record<string, number>>;
  /** worker / scheduler roles serve /metrics here; 0 = off (the gateway serves it on PORT) */
  metricsPort: number;
  /** sales-ticker items a gateway samples per second from its own grabs */
  tickerPerSecond: number;
  /** a socket with more than this many bytes buffered skips live snapshots until it drains */
  snapshotDropBytes: number;
  /** live snapshots go out to this many sockets per event-loop turn (0: all at once) */
  fanoutChunkSockets: number;
  /** pause between two chunks of one snapshot's sockets, ms (0: next turn, no timer) */
  fanoutGapMs: number;
  /** festival sends per second a gateway allows itself; past it snapshots come less often (0: no budget) */
  fanoutSendsPerSecond: number;
  /** paced followers are pinged at most this often; one that leaves a ping unanswered this long gets no snapshots until it answers, ms (0: no pings) */
  fanoutProbeMs: number;
  /** the waiting room (room/room-config.ts) */
  room: Readonly<RoomConfig>;
  /** null: reminders are off (production without VAPID keys) */
  push: Readonly<PushConfig> | null;
  production: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`config: ${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function str(env: Env, name: string, dflt: string, pattern?: RegExp, hint?: string): string {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? dflt : raw.trim();
  if (pattern && !pattern.test(v)) throw new ConfigError(name, `${hint ?? 'invalid value'}, got "${v}"`);
  return v;
}

function url(env: Env, name: string, dflt: string, protocols: string[]): string {
  const v = str(env, name, dflt);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return v;
}

/** `host:port,host:port,...` (a few masters are enough: the client learns the rest). */
function clusterNodes(env: Env): RedisNode[] {
  const raw = str(env, 'REDIS_CLUSTER_NODES', '');
  if (!raw) return [];
  return raw.split(',').map((n) => n.trim()).filter(Boolean).map((n) => {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(n);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) throw new ConfigError('REDIS_CLUSTER_NODES', `"${n}" is not host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** The default: one shard on a single Redis (one server gains nothing from more), three on a
 *  cluster (one per master of the smallest cluster). */
export function defaultAdmissionShards(clustered: boolean): number {
  return clustered ? 3 : 1;
}

/** ADMISSION_SHARDS_CONSUMED: `0,2` (a subset of 0..shards-1), or all shards when unset. */
function consumedShards(env: Env, shards: number): number[] {
  const raw = str(env, 'ADMISSION_SHARDS_CONSUMED', '');
  if (!raw) return Array.from({ length: shards }, (_, k) => k);
  const out: number[] = [];
  for (const part of raw.split(',').map((x) => x.trim())) {
    const k = /^\d+$/.test(part) ? Number(part) : NaN;
    if (!(k < shards)) throw new ConfigError('ADMISSION_SHARDS_CONSUMED', `"${part}" is not a shard of 0..${shards - 1} (ADMISSION_SHARDS=${shards})`);
    if (out.includes(k)) throw new ConfigError('ADMISSION_SHARDS_CONSUMED', `shard ${k} is named twice`);
    out.push(k);
  }
  return out.sort((a, b) => a - b);
}

const DEV_SECRET = 'flashfest-dev-secret-change-me-in-production';
const DEV_OPS_TOKEN = 'flashfest-ops-dev-token';
// Rough USD values of one unit; ops dashboards, not accounting. FX_RATES overrides or adds.
const DEFAULT_FX: Record<string, number> = { USD: 1, PKR: 0.0036, INR: 0.012, CNY: 0.14, EUR: 1.08, GBP: 1.27, BDT: 0.0083, LKR: 0.0033 };

function fxRates(env: Env): Record<string, number> {
  const raw = str(env, 'FX_RATES', '');
  const rates = { ...DEFAULT_FX };
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Z]{3})=(\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(part);
    if (!m || !(Number(m[2]) > 0)) throw new ConfigError('FX_RATES', `"${part}" is not CUR=rate with a positive rate, e.g. PKR=0.0036`);
    rates[m[1]!] = Number(m[2]);
  }
  return Object.freeze(rates);
}

function shopperJwt(env: Env, mode: ShopperAuthMode): ShopperJwtConfig | null {
  const jwksUrl = str(env, 'SHOPPER_JWKS_URL', '');
  if (!jwksUrl) {
    if (mode === 'jwt') throw new ConfigError('SHOPPER_JWKS_URL', 'must be set when SHOPPER_AUTH=jwt');
    return null;
  }
  url(env, 'SHOPPER_JWKS_URL', '', ['https:', 'http:']);
  const issuer = str(env, 'SHOPPER_JWT_ISSUER', '');
  if (!issuer) throw new ConfigError('SHOPPER_JWT_ISSUER', 'must be set with SHOPPER_JWKS_URL (the `iss` of the ID tokens)');
  const audience = str(env, 'SHOPPER_JWT_AUDIENCE', '');
  if (!audience) throw new ConfigError('SHOPPER_JWT_AUDIENCE', 'must be set with SHOPPER_JWKS_URL (the `aud` the ID tokens name flashfest by)');
  const algorithms = str(env, 'SHOPPER_JWT_ALGORITHMS', ShopperJwtAlgorithms.join(',')).split(',').map((a) => a.trim());
  for (const a of algorithms) {
    if (!(ShopperJwtAlgorithms as readonly string[]).includes(a)) {
      throw new ConfigError('SHOPPER_JWT_ALGORITHMS', `"${a}" is not one of ${ShopperJwtAlgorithms.join(', ')}`);
    }
  }
  return Object.freeze({
    jwksUrl, issuer, audience,
    algorithms: Object.freeze(algorithms) as ShopperJwtAlgorithm[],
    clockSkewSeconds: int(env, 'SHOPPER_JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
    cityClaim: str(env, 'SHOPPER_JWT_CITY_CLAIM', 'city', /^[A-Za-z0-9_:./-]{1,64}$/, 'must be a claim name'),
    jwksCacheSeconds: int(env, 'SHOPPER_JWKS_CACHE_SECONDS', 600, 1, 86_400),
    jwksCooldownSeconds: int(env, 'SHOPPER_JWKS_COOLDOWN_SECONDS', 30, 0, 3_600),
  });
}

// A development key pair so reminders work on a laptop out of the box; production has none.
const DEV_VAPID = {
  publicKey: 'BD8clP7ChcUBVhGSQ_P7qYDX7Y8AWeElPo6u4jwjslqzbnN-j4Br0M1TY8c0ErQvf-24b3eEueyY4uIVlhkx8DI',
  privateKey: 'ExQKczmpoYlUISOtS5RQE2MbGCGKR6DMOfxCYAAV13k',
};
// The push services of Chrome, Firefox, Edge and Safari.
const DEFAULT_PUSH_HOSTS = 'fcm.googleapis.com,*.push.services.mozilla.com,*.notify.windows.com,*.push.apple.com';

function pushConfig(env: Env, production: boolean): PushConfig | null {
  const publicKey = str(env, 'VAPID_PUBLIC_KEY', '');
  const privateKey = str(env, 'VAPID_PRIVATE_KEY', '');
  if (!publicKey !== !privateKey) throw new ConfigError(publicKey ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', 'must be set together with its pair');
  // without keys of its own, production has no reminders rather than the public development pair
  if (!publicKey && production) return null;
  const keys = publicKey ? { publicKey, privateKey } : DEV_VAPID;
  if (!/^[A-Za-z0-9_-]{87}$/.test(keys.publicKey)) throw new ConfigError('VAPID_PUBLIC_KEY', 'must be a base64url P-256 public key (87 characters); npx web-push generate-vapid-keys');
  if (!/^[A-Za-z0-9_-]{43}$/.test(keys.privateKey)) throw new ConfigError('VAPID_PRIVATE_KEY', 'must be a base64url P-256 private key (43 characters); npx web-push generate-vapid-keys');
  const endpointAllow = str(env, 'PUSH_ENDPOINT_ALLOW', DEFAULT_PUSH_HOSTS).split(',').map((h) => h.trim()).filter(Boolean);
  for (const h of endpointAllow) {
    if (!/^(https?:\/\/[A-Za-z0-9.-]+(:\d+)?|(\*\.)?[A-Za-z0-9.-]+)$/.test(h)) throw new ConfigError('PUSH_ENDPOINT_ALLOW', `"${h}" is neither a host (fcm.googleapis.com, *.push.apple.com) nor an origin`);
  }
  return Object.freeze({
    vapidPublicKey: keys.publicKey,
    vapidPrivateKey: keys.privateKey,
    vapidSubject: str(env, 'VAPID_SUBJECT', 'mailto:ops@flashfest.invalid', /^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https: URL'),
    remindBeforeMs: int(env, 'REMIND_BEFORE_MS', 300_000, 1_000, 7 * 86_400_000),
    endpointAllow: Object.freeze(endpointAllow),
  });
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const production = env.NODE_ENV === 'production';
  const roleRaw = str(env, 'FF_ROLE', 'all');
  if (!(Roles as readonly string[]).includes(roleRaw)) {
    throw new ConfigError('FF_ROLE', `must be one of ${Roles.join(', ')}, got "${roleRaw}"`);
  }
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = str(env, 'HOST', '127.0.0.1');
  const publicUrl = url(env, 'PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:']);
  const sessionSecret = str(env, 'SESSION_SECRET', DEV_SECRET);
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters');
  if (production && sessionSecret === DEV_SECRET) {
    throw new ConfigError('SESSION_SECRET', 'must be set in production (NODE_ENV=production)');
  }
  const shopperAuth = str(env, 'SHOPPER_AUTH', 'both');
  if (!(ShopperAuthModes as readonly string[]).includes(shopperAuth)) {
    throw new ConfigError('SHOPPER_AUTH', `must be one of ${ShopperAuthModes.join(', ')}, got "${shopperAuth}"`);
  }
  const shopperIdSecret = str(env, 'SHOPPER_ID_SECRET', sessionSecret);
  if (shopperIdSecret.length < 32) throw new ConfigError('SHOPPER_ID_SECRET', 'must be at least 32 characters');
  const opsToken = str(env, 'OPS_TOKEN', DEV_OPS_TOKEN);
  if (opsToken.length < 16) throw new ConfigError('OPS_TOKEN', 'must be at least 16 characters');
  if (production && opsToken === DEV_OPS_TOKEN) {
    throw new ConfigError('OPS_TOKEN', 'must be set in production (NODE_ENV=production)');
  }
  const originsRaw = str(env, 'ALLOWED_ORIGINS', '');
  // a Set: PUBLIC_URL is often one of the local addresses, and the list is shown at boot
  const allowedOrigins = [...new Set(originsRaw
    ? originsRaw.split(',').map((o) => o.trim()).filter(Boolean)
    : [new URL(publicUrl).origin, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
  for (const o of allowedOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(o)) throw new ConfigError('ALLOWED_ORIGINS', `"${o}" is not an origin like https://shop.example`);
  }

  const redisClusterNodes = clusterNodes(env);
  const admissionShards = int(env, 'ADMISSION_SHARDS', defaultAdmissionShards(redisClusterNodes.length > 0), 1, 256);

  const config: Config = {
    role: roleRaw as Role,
    host,
    port,
    publicUrl,
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisClusterNodes,
    redisTimeoutMs: int(env, 'REDIS_TIMEOUT_MS', 1_000, 50, 60_000),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://127.0.0.1:5432/flashfest', ['postgres:', 'postgresql:']),
    dbSchema: str(env, 'DB_SCHEMA', 'public', /^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier'),
    keyPrefix: str(env, 'KEY_PREFIX', 'ff', /^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -'),
    sessionSecret,
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    shopperAuth: shopperAuth as ShopperAuthMode,
    shopperJwt: shopperJwt(env, shopperAuth as ShopperAuthMode),
    shopperIdSecret,
    allowedOrigins: Object.freeze(allowedOrigins) as string[],
    defaultHoldSeconds: int(env, 'HOLD_SECONDS', 300, 5, 3_600),
    rateLimitPerSecond: int(env, 'RATE_LIMIT_PER_SECOND', 20, 1, 100_000),
    rateLimitBurst: int(env, 'RATE_LIMIT_BURST', 40, 1, 100_000),
    floodCloseAfter: int(env, 'FLOOD_CLOSE_AFTER', 200, 1, 1_000_000),
    grabBatchMax: int(env, 'GRAB_BATCH_MAX', 512, 1, 10_000),
    stockBucketUnits: int(env, 'STOCK_BUCKET_UNITS', 0, 0, 100_000_000),
    grabWaitReplicas: int(env, 'GRAB_WAIT_REPLICAS', 0, 0, 16),
    grabWaitMs: int(env, 'GRAB_WAIT_MS', 100, 1, 60_000),
    admitWindowMs: int(env, 'ADMIT_WINDOW_MS', 2, 0, 1_000),
    admitBatchMax: int(env, 'ADMIT_BATCH_MAX', 1_000, 1, 50_000),
    prewarmSeconds: int(env, 'PREWARM_SECONDS', 60, 1, 86_400),
    schedulerTickMs: int(env, 'SCHEDULER_TICK_MS', 25, 5, 5_000),
    lockTtlMs: int(env, 'LOCK_TTL_MS', 500, 500, 60_000),
    orderBatchMax: int(env, 'ORDER_BATCH_MAX', 1_000, 1, 50_000),
    orderBatchWaitMs: int(env, 'ORDER_BATCH_WAIT_MS', 5, 0, 1_000),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 1_000, 1, 10_000),
    admissionShards,
    admissionShardsConsumed: Object.freeze(consumedShards(env, admissionShards)),
    stalledIntervalMs: int(env, 'STALLED_INTERVAL_MS', 30_000, 200, 600_000),
    reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 5_000, 100, 600_000),
    liveSnapshotMs: int(env, 'LIVE_SNAPSHOT_MS', 100, 50, 10_000),
    staticDir: str(env, 'STATIC_DIR', 'client/dist'),
    logLevel: str(env, 'LOG_LEVEL', 'info', /^(fatal|error|warn|info|debug|trace|silent)$/, 'must be a pino level'),
    demoPaymentDeclineEvery: int(env, 'DEMO_PAYMENT_DECLINE_EVERY', 0, 0, 1_000_000),
    opsToken,
    fxRates: fxRates(env),
    metricsPort: int(env, 'METRICS_PORT', 0, 0, 65535),
    tickerPerSecond: int(env, 'TICKER_PER_SECOND', 2, 0, 100),
    snapshotDropBytes: int(env, 'SNAPSHOT_DROP_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    fanoutChunkSockets: int(env, 'FANOUT_CHUNK_SOCKETS', 256, 0, 1_000_000),
    fanoutGapMs: int(env, 'FANOUT_GAP_MS', 1, 0, 100),
    fanoutSendsPerSecond: int(env, 'FANOUT_SENDS_PER_SECOND', 15_000, 0, 10_000_000),
    fanoutProbeMs: int(env, 'FANOUT_PROBE_MS', 5_000, 0, 600_000),
    push: pushConfig(env, production),
    room: loadRoomConfig(env),
    production,
  };
  // WAIT blocks the gateway's connection to that master: past the command timeout every grab
  // behind it would fail as if Redis were down
  if (config.grabWaitReplicas > 0 && config.grabWaitMs >= config.redisTimeoutMs) {
    throw new ConfigError('GRAB_WAIT_MS', `must be below REDIS_TIMEOUT_MS (${config.redisTimeoutMs}), got ${config.grabWaitMs}`);
  }
  return Object.freeze(config);
}

/** The config as it may be logged: secrets and credentials masked. */
export function redactedConfig(c: Config): Record<string, unknown> {
  const mask = (u: string) => u.replace(/\/\/([^@/]*)@/, '//***@');
  return { ...c, sessionSecret: '***', shopperIdSecret: '***', opsToken: '***', push: c.push && { ...c.push, vapidPrivateKey: '***' }, redisUrl: mask(c.redisUrl), databaseUrl: mask(c.databaseUrl) };
}
