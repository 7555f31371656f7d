// A worker process dies mid-batch (SIGKILL: no cleanup, locks left behind). A new one picks up
// the stalled jobs; every hold ends with exactly one order row.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/admission/index.ts';
import type { Admission } from '../../src/admission/queues.ts';
import { countOrdersByHold } from '../../src/db/orders-repo.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, delayedExpiryCoverage, grabHolds } from './helpers.ts';

const WORKER = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));
const HOLDS = 4_000;

describe('order worker killed mid-batch', () => {
  let env: TestEnv;
  let admission: Admission;
  const children: ChildProcess[] = [];

  // Small batches and low concurrency slow the worker down enough to be caught mid-way;
  // a 1 s stalled interval (and lock) brings the dead worker's jobs back quickly.
  const childEnv = () => ({
    ...process.env, ...env.env,
    STALLED_INTERVAL_MS: '1000', ORDER_BATCH_WAIT_MS: '50', ORDER_BATCH_MAX: '25', WORKER_CONCURRENCY: '50',
  });

  async function startChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
    await waitFor(() => out.includes('ready') || child.exitCode !== null, 'worker process ready', 20_000);
    if (child.exitCode !== null) throw new Error(`worker process exited ${child.exitCode}: ${out}`);
    return child;
  }

  const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

  beforeAll(async () => {
    env = await createTestEnv();
    admission = createAdmission(env.config, env.redis);
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exited(c);
      }
    }
    await admission?.close();
    await env?.cleanup();
  });

  it('loses no hold and duplicates none', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: HOLDS, limit: 1, holdSeconds: 600 });
    const jobs = await grabHolds(stock, deal, HOLDS);
    for (let i = 0; i < jobs.length; i += 1_000) await admission.admitHolds(jobs.slice(i, i + 1_000));

    const t0 = Date.now();
    const first = await startChild();
    await waitFor(async () => (await countOrdersByHold(env.pool, deal.dealId)) >= 200, 'first orders', 20_000, 5);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await countOrdersByHold(env.pool, deal.dealId);
    const active = (await admission.queues.forDeal(deal.dealId).orders.getJobCounts('active')).active;
    console.log(`killed after ${Date.now() - t0} ms with ${atKill}/${HOLDS} orders, ${active} jobs left active`);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(HOLDS);
    expect(active).toBeGreaterThan(0); // jobs the dead worker held locks on, mid-batch

    const t1 = Date.now();
    const second = await startChild();
    await waitFor(async () => (await countOrdersByHold(env.pool, deal.dealId)) === HOLDS, 'every hold persisted', 45_000, 100);
    await waitFor(async () => {
      const c = await admission.queues.forDeal(deal.dealId).orders.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    }, 'orders queue drained', 15_000);
    console.log(`second worker finished the rest in ${Date.now() - t1} ms`);

    const { rows } = await env.pool.query<{ hold_id: string }>('SELECT hold_id FROM orders WHERE deal_id = $1', [deal.dealId]);
    const persisted = new Set(rows.map((r) => r.hold_id));
    expect(rows).toHaveLength(HOLDS);
    expect(persisted.size).toBe(HOLDS);
    expect(jobs.filter((j) => !persisted.has(j.hold))).toEqual([]);
    expect(await count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'hold'", [deal.dealId])).toBe(HOLDS);
    expect((await admission.queues.forDeal(deal.dealId).orders.getJobCounts('failed')).failed).toBe(0);
    // every order also got its expiry scheduled, once (batch jobs: one per admitted batch)
    const covered = await delayedExpiryCoverage(admission.queues.forDeal(deal.dealId).expiry);
    expect(covered.size).toBe(HOLDS);
    expect([...covered.values()].every((n) => n === 1)).toBe(true);

    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  });
});
