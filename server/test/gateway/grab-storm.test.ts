// The storm: 2,000 shoppers on their own sockets send 10 grabs each at a deal with stock 1,000
// and limit 2. Exactly 1,000 units are held, nobody is over the limit, every grab is answered,
// and the books balance in Redis and, once the workers drain, in Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';

const SHOPPERS = 2_000;
const GRABS_EACH = 10;
const STOCK = 1_000;
const LIMIT = 2;

describe('grab storm', () => {
  let engine: RunningEngine;
  let dealId: string;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    engine = await startEngine({ RATE_LIMIT_BURST: '40' });
    dealId = (await seedDeals(engine.env.pool, [{ stock: STOCK, limit: LIMIT, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(engine.env, [dealId]);
    // Tokens are minted with the engine's secret: POST /api/session is rate limited per address.
    const signer = new SessionSigner(engine.config.sessionSecret, 3_600);
    // sockets in waves: 2,000 handshakes at once would only test the kernel backlog
    for (let i = 0; i < SHOPPERS; i += 200) {
      const wave = await Promise.all(Array.from({ length: Math.min(200, SHOPPERS - i) }, async () => {
        return ShopperSocket.open(engine.wsUrl, signer.issue().token);
      }));
      sockets.push(...wave);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('holds exactly the stock, respects the limit and answers every grab', async () => {
    const answers: Promise<ServerMessage>[] = [];
    sockets.forEach((s, i) => {
      for (let g = 0; g < GRABS_EACH; g++) {
        const rid = `s${i}-g${g}`;
        answers.push(s.answerTo(rid, 60_000));
        s.send({ t: 'grab', deal: dealId, qty: 1 + (g % 2), rid });
      }
    });
    const all = await Promise.all(answers);
    expect(all).toHaveLength(SHOPPERS * GRABS_EACH);

    const perShopper = new Map<number, number>();
    let heldUnits = 0;
    const holdIds = new Set<string>();
    const reasons = new Map<string, number>();
    all.forEach((m, idx) => {
      const shopper = Math.floor(idx / GRABS_EACH);
      if (m.t === 'held') {
        heldUnits += m.qty;
        holdIds.add(m.hold);
        perShopper.set(shopper, (perShopper.get(shopper) ?? 0) + m.qty);
      } else if (m.t === 'refused') {
        reasons.set(m.code, (reasons.get(m.code) ?? 0) + 1);
      }
    });
    expect(heldUnits).toBe(STOCK);
    expect(Math.max(...perShopper.values())).toBeLessThanOrEqual(LIMIT);
    // only the refusals the storm can cause
    expect([...reasons.keys()].every((r) => r === 'sold_out' || r === 'limit_reached')).toBe(true);

    const stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    const deal = (await stock.readDeal(dealId))!;
    expect(deal.held + deal.sold + deal.available).toBe(STOCK);
    expect(deal).toMatchObject({ available: 0, held: STOCK, sold: 0 });
    const holds = await stock.listHolds(dealId);
    expect(holds.reduce((n, h) => n + h.qty, 0)).toBe(STOCK);
    expect(new Set(holds.map((h) => h.hold))).toEqual(holdIds);

    // every hold becomes exactly one pending order row
    await waitFor(async () => {
      const { rows } = await engine.env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE deal_id = $1', [dealId]);
      return rows[0]!.n === holdIds.size;
    }, 'orders persisted', 30_000);
    const { rows } = await engine.env.pool.query<{ units: number; shoppers_over: number }>(
      `SELECT sum(qty)::int AS units,
              (SELECT count(*)::int FROM (SELECT shopper_id FROM orders WHERE deal_id = $1 GROUP BY shopper_id HAVING sum(qty) > $2) x) AS shoppers_over
       FROM orders WHERE deal_id = $1`, [dealId, LIMIT]);
    expect(rows[0]).toEqual({ units: STOCK, shoppers_over: 0 });
  }, 120_000);
});
