// A storm on a deal split into 3 stock buckets, through real sockets: all the demand lands on
// ONE bucket (its shoppers are pinned there), so every unit of the other two must come over by
// stock moves. The demand equals the stock, so a single sold_out would be a refusal while some
// bucket still had a unit. Each shopper grabs on two sockets at once: the limit holds across
// them. On FF_REDIS_CLUSTER=1 the three buckets are on three masters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { startEngine, seedDeals, type RunningEngine } from '../helpers/engine.ts';
import { SessionSigner, newShopperId } from '../../src/gateway/session.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { onCluster, waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { bucketOfShopper } from '../../src/stock/buckets.ts';
import { bucketOfHold } from '../../src/stock/keys.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';

const STOCK = 300;
const LIMIT = 2;
const BUCKETS = 3;
/** shoppers pinned to bucket 0: their limits add up to the stock exactly */
const HOT = STOCK / LIMIT;

function shopperIn(bucket: number): string {
  for (;;) {
    const id = newShopperId();
    if (bucketOfShopper(id, BUCKETS) === bucket) return id;
  }
}

describe('grab storm on a deal in 3 stock buckets', () => {
  let engine: RunningEngine;
  let stock: StockStore;
  let dealId: string;
  let signer: SessionSigner;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    engine = await startEngine({ RATE_LIMIT_BURST: '40' });
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    const seeded = await seedDeals(engine.env.pool, [{ stock: STOCK, limit: LIMIT, startsIn: -1_000 }]);
    dealId = seeded.dealIds[0]!;
    await engine.env.pool.query('UPDATE deals SET stock_buckets = $2 WHERE id = $1', [dealId, BUCKETS]);
    const now = Date.now();
    await stock.warmDeal({
      id: dealId, festivalId: seeded.festivalId, stock: STOCK, limit: LIMIT, holdSeconds: 120, startsAt: now - 1_000,
      endsAt: now + 600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open', buckets: BUCKETS,
    });
    signer = new SessionSigner(engine.config.sessionSecret, 3_600);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  async function open(shopper: string): Promise<ShopperSocket> {
    const s = await ShopperSocket.open(engine.wsUrl, signer.issue(Date.now(), shopper).token);
    sockets.push(s);
    return s;
  }

  it('sells every unit to one bucket\'s shoppers, none over the limit, no sold_out before the last', async () => {
    if (onCluster) {
      const cluster = engine.env.redis as Cluster;
      const masters = [0, 1, 2].map((b) => cluster.slots[calculateSlot(stock.bucketKeys(dealId, b, BUCKETS).deal)]![0]);
      expect(new Set(masters).size).toBe(BUCKETS);
    }
    const hot = Array.from({ length: HOT }, () => shopperIn(0));
    const pairs: [ShopperSocket, ShopperSocket][] = [];
    for (let i = 0; i < hot.length; i += 50) {
      pairs.push(...await Promise.all(hot.slice(i, i + 50).map(async (s) => [await open(s), await open(s)] as [ShopperSocket, ShopperSocket])));
    }
    // every shopper: two grabs on each of their two sockets, all at once
    const answers: Promise<ServerMessage>[][] = pairs.map(() => []);
    pairs.forEach(([a, b], i) => {
      for (const [n, s] of [a, b, a, b].entries()) {
        const rid = `h${i}-${n}`;
        answers[i]!.push(s.answerTo(rid, 60_000));
        s.send({ t: 'grab', deal: dealId, qty: 1, rid });
      }
    });
    const all = await Promise.all(answers.map((a) => Promise.all(a)));
    const codes = new Map<string, number>();
    let heldUnits = 0;
    const holds = new Set<string>();
    for (const mine of all) {
      let units = 0;
      for (const m of mine) {
        if (m.t === 'held') {
          units += m.qty;
          holds.add(m.hold);
          expect(bucketOfHold(m.hold)).toEqual({ bucket: 0, buckets: BUCKETS });
        } else if (m.t === 'refused') codes.set(m.code, (codes.get(m.code) ?? 0) + 1);
      }
      expect(units).toBe(LIMIT);
      heldUnits += units;
    }
    expect(heldUnits).toBe(STOCK);
    expect(holds.size).toBe(STOCK);
    expect(Object.fromEntries(codes)).toEqual({ limit_reached: HOT * 2 });

    // the units came over from buckets 1 and 2 by moves; the books balance per bucket and in total
    const snap = (await stock.snapshotDeal(dealId))!;
    expect(Object.keys(snap.buckets[0]!.movesIn).length).toBeGreaterThan(0);
    for (const b of snap.buckets) expect(b.deal.sold + b.deal.held + b.deal.available).toBe(b.deal.stock);
    expect(snap.buckets.map((b) => [b.deal.stock, b.deal.available])).toEqual([[STOCK, 0], [0, 0], [0, 0]]);
    expect(snap.inFlight).toBe(0);
    expect(snap.deal).toMatchObject({ stock: STOCK, held: STOCK, sold: 0, available: 0 });

    // now every bucket is dry: shoppers of every bucket are refused sold_out
    const late = await Promise.all([0, 1, 2, 0, 1, 2].map(async (b, i) => {
      const s = await open(shopperIn(b));
      const answer = s.answerTo(`late${i}`, 30_000);
      s.send({ t: 'grab', deal: dealId, qty: 1, rid: `late${i}` });
      return answer;
    }));
    expect(late.map((m) => (m.t === 'refused' ? m.code : m.t))).toEqual(Array(6).fill('sold_out'));

    // every hold, whichever bucket, becomes one order row
    await waitFor(async () => {
      const { rows } = await engine.env.pool.query<{ n: number; units: number }>(
        'SELECT count(*)::int AS n, coalesce(sum(qty), 0)::int AS units FROM orders WHERE deal_id = $1', [dealId]);
      return rows[0]!.n === STOCK && rows[0]!.units === STOCK;
    }, 'orders persisted', 30_000);
  }, 120_000);
});
