// A master of a 6-node Redis Cluster (3 masters, 1 replica each) killed -9 during a storm of
// grabs: how long the deal's grabs stall, what shoppers are told meanwhile, and whether the holds
// they were told about survive the replica's promotion; then reconcile, and the books.
// Each test brings its own cluster (also under FF_REDIS_CLUSTER=1) and stops it.
//
// Redis replicates asynchronously: on this machine a replica is normally a fraction of a
// millisecond behind, and a plain kill -9 loses nothing. A replica that is behind (a slow network,
// a busy host) is played by stopping it (SIGSTOP) and writing a large value on the deal's slot,
// so the master's replication stream stays in its own memory; the master is killed while the
// storm goes on, and the replica resumed (SIGCONT) to be promoted.
import { performance } from 'node:perf_hooks';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createLogger } from '../../src/logger.ts';
import { connectFailFast, RedisHealth, redisNow, type RedisClient } from '../../src/redis.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { GrabBatcher, type PendingGrab } from '../../src/gateway/grab-batcher.ts';
import type { GrabDecision } from '../../src/stock/decisions.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { inTransaction, insertOrders } from '../../src/db/orders-repo.ts';
import { insertDeal } from '../scheduler/fixtures.ts';

interface PrivateCluster { nodes: string; ports: number[]; pids: number[]; dir: string; stop(): Promise<void> }
const { startRedisCluster } = (await import('../../../scripts/services/redis-cluster.mjs' as string)) as {
  startRedisCluster(o: { masters: number; replicas: number }): Promise<PrivateCluster>;
};

const logger = createLogger(process.env.FAILOVER_TEST_LOG ?? 'silent');
const STOCK = 1_000_000;

interface Answer { sentAt: number; at: number; shopper: string; code: string; hold?: string }

/** `cluster nodes` of one node: this master's replica, by port. After an earlier failover the
 *  old master, restarted, is a master without slots until the gossip makes it the new master's
 *  replica: waited for, bounded. */
async function replicaPortOf(anyPort: number, masterPort: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const out = spawnSync('redis-cli', ['-p', String(anyPort), 'cluster', 'nodes'], { encoding: 'utf8' }).stdout;
    const lines = out.trim().split('\n').map((l) => l.split(' '));
    const master = lines.find((f) => f[1]!.startsWith(`127.0.0.1:${masterPort}@`))!;
    const replica = lines.find((f) => f[3] === master[0] && f[2]!.includes('slave'));
    if (replica) return Number(/:(\d+)@/.exec(replica[1]!)![1]);
    if (Date.now() > deadline) throw new Error(`no replica of ${masterPort}:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Redis Cluster failover during a storm of grabs', () => {
  let cluster: PrivateCluster | null = null;
  let env: TestEnv | null = null;
  let gatewayRedis: RedisClient | null = null;
  let health: RedisHealth | null = null;
  let restarted: ChildProcess | null = null;
  afterEach(async () => {
    if (restarted?.exitCode === null) restarted.kill('SIGKILL');
    restarted = null;
    health?.stop();
    gatewayRedis?.disconnect();
    await env?.cleanup().catch(() => {});
    await cluster?.stop();
    cluster = null; env = null; gatewayRedis = null; health = null;
  });

  /** The killed master started again on its port and cluster config: it rejoins as the replica of
   *  the node promoted in its place (as an operator or a supervisor would bring it back). */
  function restartNode(port: number): ChildProcess {
    return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0',
      '--save', '', '--appendonly', 'no', '--dir', cluster!.dir, '--loglevel', 'warning', '--logfile', `redis-${port}.log`],
    { stdio: 'ignore' });
  }

  async function stormThroughFailover(waitReplicas: number) {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    env = await createTestEnv({ REDIS_CLUSTER_NODES: cluster.nodes, GRAB_WAIT_REPLICAS: String(waitReplicas), GRAB_WAIT_MS: '50' });
    const { config } = env;
    // the gateway's own connection, as the gateway makes it (fail fast, no offline queue)
    gatewayRedis = await connectFailFast(config);
    health = new RedisHealth(gatewayRedis, logger, config.redisTimeoutMs);
    const stock = new StockStore(gatewayRedis, config.keyPrefix);
    const now = await redisNow(env.redis);
    const { dealId, festivalId } = await insertDeal(env.pool, { startsAt: now - 1_000, endsAt: now + 600_000, stock: STOCK, limit: 1 });
    await stock.warmDeal({ id: dealId, festivalId, stock: STOCK, limit: 1, holdSeconds: 300, startsAt: now - 1_000,
      endsAt: now + 600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open' });

    let shortfalls = 0;
    const admitted = new Set<string>();
    const batcher = new GrabBatcher(stock, config.grabBatchMax, (_deal, _grabs, result) => {
      // what the gateway admits: the holds it is about to answer
      for (const d of result.decisions) if (d.ok && !d.repeat) admitted.add(d.hold);
    }, undefined, health, config.grabWaitReplicas > 0
      ? { replicas: config.grabWaitReplicas, ms: config.grabWaitMs, onShortfall: () => { shortfalls++; } }
      : null);

    const answers: Answer[] = [];
    let running = true;
    let n = 0;
    const grabOnce = () => new Promise<void>((resolve) => {
      const shopper = `s${++n}`;
      const sentAt = performance.now();
      const settle = (code: string, hold?: string) => { answers.push({ sentAt, at: performance.now(), shopper, code, hold }); resolve(); };
      const grab: PendingGrab = {
        shopper, qty: 1, rid: `r${n}`, owner: {},
        resolve: (d: GrabDecision) => settle(d.ok ? 'held' : d.code, d.ok ? d.hold : undefined),
        reject: () => settle('unavailable'),
      };
      if (!health!.up) { health!.refuse(); settle('unavailable'); return; }
      batcher.add(dealId, grab);
    });
    const shopperLoop = async () => {
      while (running) {
        const before = answers.length;
        await grabOnce();
        // a shopper told unavailable tries again a little later, as the page does
        if (answers[before]?.code === 'unavailable') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = Array.from({ length: 16 }, shopperLoop);
    let killAt = 0;
    try {
    await new Promise((r) => setTimeout(r, 1_000));

    // the deal's master and its replica
    const dealKey = stock.keys(dealId).deal;
    const masterPort = Number((env.redis as Cluster).slots[calculateSlot(dealKey)]![0]!.split(':')[1]);
    const replicaPort = await replicaPortOf(cluster.ports.find((p) => p !== masterPort)!, masterPort);
    const pidOf = (port: number) => cluster!.pids[cluster!.ports.indexOf(port)]!;

    // the replica falls behind: stopped, and a large write on the deal's slot fills the link
    process.kill(pidOf(replicaPort), 'SIGSTOP');
    await env.redis.set(`{d:${dealId}}:${config.keyPrefix}:ballast`, 'x'.repeat(32 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 300));
    killAt = performance.now();
    process.kill(pidOf(masterPort), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    process.kill(pidOf(replicaPort), 'SIGCONT');
    if (waitReplicas > 0) {
      // the promoted master has no replica until the killed node is back: WAIT cannot be met
      await waitFor(() => /^master/.test(spawnSync('redis-cli', ['-p', String(replicaPort), 'role'], { encoding: 'utf8' }).stdout),
        'the replica promoted', 30_000, 100);
      restarted = restartNode(masterPort);
    }

    // until the deal's grabs are held again for a while (bounded)
    await waitFor(() => answers.some((a) => a.sentAt > killAt && a.code === 'held' && a.at < performance.now() - 500),
      'grabs held again after the failover', 30_000, 50).catch((err: unknown) => {
      const other = cluster!.ports.find((p) => p !== masterPort && p !== replicaPort)!;
      console.log(spawnSync('redis-cli', ['-p', String(other), 'cluster', 'nodes'], { encoding: 'utf8' }).stdout,
        JSON.stringify(answers.slice(-5)), (env!.redis as Cluster).slots[calculateSlot(dealKey)]);
      throw err;
    });
    } finally {
      running = false;
      await Promise.all(loops);
    }
    await batcher.drained();

    const resumed = answers.filter((a) => a.sentAt > killAt && a.code === 'held').reduce((m, a) => Math.min(m, a.at), Infinity);
    const codes: Record<string, number> = {};
    for (const a of answers) if (a.sentAt > killAt && a.at < resumed) codes[a.code] = (codes[a.code] ?? 0) + 1;
    const told = answers.filter((a) => a.code === 'held');

    // the order worker's part: every admitted hold becomes an order row (the first of an id wins)
    const rows = told.map((a) => ({ hold: a.hold!, dealId, shopper: a.shopper, qty: 1, unitPriceMinor: 99_900, currency: 'PKR', heldAt: Date.now(), expiresAt: Date.now() + 300_000 }));
    await inTransaction(env.pool, async (c) => {
      for (let i = 0; i < rows.length; i += 5_000) await insertOrders(c, rows.slice(i, i + 5_000));
    });

    // which holds the shoppers were told about are not in Redis as theirs
    const holds = await env.redis.hgetall(stock.keys(dealId).holds);
    const lost = told.filter((a) => !holds[a.hold!]?.startsWith(`${a.shopper}|`));
    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: config.keyPrefix, logger, admitGraceMs: 600_000 });
    const after = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: config.keyPrefix, logger, admitGraceMs: 600_000 });
    const figures = {
      waitReplicas, stallMs: Math.round(resumed - killAt), codesDuringStall: codes, told: told.length,
      lost: lost.length, shortfalls, lostHolds: report.lostHolds, admittedNotTold: [...admitted].length - told.length,
    };
    console.log(`failover figures: ${JSON.stringify(figures)}`);
    return { dealId, stock, lost, told, report, after, figures };
  }

  /** After reconcile: the counters add up and nothing is oversold; each order row that still stands
   *  for a unit has its hold in Redis, the same shopper's (but for ids reported as reused). */
  async function expectBooksMatch(dealId: string, stock: StockStore, after: Awaited<ReturnType<typeof reconcile>>) {
    const deal = (await stock.readDeal(dealId))!;
    expect(deal.sold + deal.held + deal.available).toBe(STOCK);
    expect(deal.available).toBeGreaterThanOrEqual(0);
    const reused = new Set(after.details.filter((v) => v.kind === 'hold_id_reused').map((v) => /hold (\S+)/.exec(v.detail)![1]));
    expect(after.details.filter((v) => v.kind !== 'hold_id_reused')).toEqual([]);
    const holds = await env!.redis.hgetall(stock.keys(dealId).holds);
    const { rows } = await env!.pool.query<{ hold_id: string; shopper_id: string }>(
      `SELECT hold_id, shopper_id FROM orders WHERE deal_id = $1 AND status IN ('pending', 'paid')`, [dealId]);
    const mismatched = rows.filter((r) => !reused.has(r.hold_id) && !/\|(held|paid)\|/.test(holds[r.hold_id]?.startsWith(`${r.shopper_id}|`) ? holds[r.hold_id]! : ''));
    expect(mismatched).toEqual([]);
    return reused.size;
  }

  it('without GRAB_WAIT_REPLICAS: grabs stall until the replica is promoted; holds the replica never got are lost and reconcile settles them', async () => {
    const { dealId, stock, lost, report, after, figures } = await stormThroughFailover(0);
    expect(figures.stallMs).toBeGreaterThan(0);
    expect(figures.shortfalls).toBe(0);
    // every lost hold was found and settled (put back, or its order cancelled); none left over
    expect(report.lostHolds.found).toBeLessThanOrEqual(lost.length);
    expect(report.lostHolds.unsettled).toBe(0);
    expect(after.lostHolds.found).toBe(0);
    // the promoted node issued no lost hold's id again (its first batch moved seq on)
    expect(await expectBooksMatch(dealId, stock, after)).toBe(0);
  });

  it('with GRAB_WAIT_REPLICAS=1: no hold a shopper was told about is lost', async () => {
    const { dealId, stock, lost, report, after, figures } = await stormThroughFailover(1);
    expect(lost).toEqual([]);
    expect(report.lostHolds.found).toBe(0);
    // the replica was stopped: the batches it could not confirm were answered unavailable
    expect(figures.shortfalls).toBeGreaterThan(0);
    expect(await expectBooksMatch(dealId, stock, after)).toBe(0);
  });
});
