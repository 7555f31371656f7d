// Reconcile checks the stock ledger of every warm deal against its orders: each order is its
// own 'hold' entry (migration 010), one 'sale' or 'release' move per ended order (matching how
// it ended), never both, and the units adding up. A ledger that does not balance is a violation: the CLI exits 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newStats } from '../../src/admission/deps.ts';
import { settlePayment } from '../../src/admission/payment-worker.ts';
import { inTransaction, insertLedger, insertOrders } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { reconcile, type ReconcileReport } from '../../src/scheduler/reconcile.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createDeal, grabHolds } from '../admission/helpers.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { runReconcileCli } from './reconcile-cli.ts';

describe('reconcile: the stock ledger', () => {
  let env: TestEnv;
  let stock: StockStore;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');

  beforeAll(async () => {
    env = await createTestEnv();
    stock = new StockStore(env.redis, env.config.keyPrefix);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger });
  const kinds = (r: ReconcileReport, dealId: string) => r.details.filter((v) => v.dealId === dealId).map((v) => v.kind).sort();

  it('reports the balance per deal, flags every kind of imbalance, and the CLI exits 1 on it', async () => {
    const deal = await createDeal(env, stock, { stock: 20, limit: 5, holdSeconds: 600 });
    const [pending, paid, cancelled, other] = await grabHolds(stock, deal, 4, 2, 'led');
    // the engine's own write paths: an order batch, a settled payment, an expiry's cancel + release
    await inTransaction(env.pool, (c) => insertOrders(c, [pending!, other!]));
    await settlePayment({ config: env.config, redis: env.redis, pool: env.pool, logger, stats: newStats() },
      { ...paid!, provider: 'demo', providerRef: 'demo-1', paidAt: Date.now() });
    await inTransaction(env.pool, async (c) => {
      await insertOrders(c, [cancelled!], 'cancelled');
      await insertLedger(c, 'release', [cancelled!]);
    });

    const clean = await run();
    expect(kinds(clean, deal.dealId)).toEqual([]);
    expect(clean.perDeal.find((d) => d.dealId === deal.dealId)).toMatchObject({
      orders: 4, ledgerHold: 8, ledgerSale: 2, ledgerRelease: 2,
    });

    // the imbalances a crash or a bug leaves: a paid order also released and sold short, a
    // cancelled order without its release, a move whose order is gone
    await env.pool.query("INSERT INTO stock_moves (deal_id, hold_id, reason, qty) VALUES ($1, $2, 'release', 2)", [deal.dealId, paid!.hold]);
    await env.pool.query("UPDATE stock_moves SET qty = 1 WHERE hold_id = $1 AND reason = 'sale'", [paid!.hold]);
    await env.pool.query("DELETE FROM stock_moves WHERE hold_id = $1 AND reason = 'release'", [cancelled!.hold]);
    await env.pool.query('DELETE FROM orders WHERE hold_id = $1', [other!.hold]);
    await env.pool.query("INSERT INTO stock_moves (deal_id, hold_id, reason, qty) VALUES ($1, $2, 'release', 2)", [deal.dealId, other!.hold]);

    const broken = await run();
    expect(kinds(broken, deal.dealId)).toEqual([
      'ledger_missing_end', 'ledger_sold_and_released', 'ledger_units', 'ledger_without_order',
    ]);
    expect(broken.details.find((v) => v.kind === 'ledger_without_order')!.detail).toContain(other!.hold);
    expect(broken.violations).toBe(broken.details.length);

    const cli = await runReconcileCli(env.env);
    expect(cli.code, cli.stderr).toBe(1);
    const printed = JSON.parse(cli.stdout) as ReconcileReport;
    expect(printed.details.filter((v) => v.dealId === deal.dealId).map((v) => v.kind)).toContain('ledger_sold_and_released');
    expect(printed.perDeal.find((d) => d.dealId === deal.dealId)).toMatchObject({ orders: 3, ledgerHold: 6, ledgerSale: 1, ledgerRelease: 4 });

    // mended, the same deal checks clean again
    await env.pool.query("DELETE FROM stock_moves WHERE hold_id = $1 AND reason = 'release'", [paid!.hold]);
    await env.pool.query("UPDATE stock_moves SET qty = 2 WHERE hold_id = $1 AND reason = 'sale'", [paid!.hold]);
    await env.pool.query("INSERT INTO stock_moves (deal_id, hold_id, reason, qty) VALUES ($1, $2, 'release', 2)", [deal.dealId, cancelled!.hold]);
    await env.pool.query('DELETE FROM stock_moves WHERE hold_id = $1', [other!.hold]);
    await inTransaction(env.pool, (c) => insertOrders(c, [other!]));
    expect(kinds(await run(), deal.dealId)).toEqual([]);
    const healed = await runReconcileCli(env.env);
    expect(healed.code, healed.stderr).toBe(0);
  });
});
