// The grab batcher against real Redis: grabs of one turn go to Redis as one Lua call per deal,
// and each owner (socket) gets all of its answers from a batch in ONE delivery (one uWS cork,
// one write), in the order its grabs arrived.
import { afterEach, describe, expect, it } from 'vitest';
import { GrabBatcher, type PendingGrab } from '../../src/gateway/grab-batcher.ts';
import type { GrabDecision } from '../../src/stock/decisions.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

describe('grab batcher', () => {
  let env: TestEnv | undefined;
  afterEach(async () => env?.cleanup());

  it('decides a turn in one call per deal and delivers per owner, arrival order kept', async () => {
    env = await createTestEnv();
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const now = Date.now();
    for (const id of ['701', '702']) {
      await stock.warmDeal({ id, festivalId: '1', stock: 3, limit: 5, holdSeconds: 60, startsAt: now - 1_000,
        endsAt: now + 60_000, unitPriceMinor: 100, currency: 'PKR', status: 'open' });
    }
    const batches: { deal: string; n: number }[] = [];
    const deliveries: { owner: string; answers: string[] }[] = [];
    let open: { owner: string; answers: string[] } | null = null;
    const batcher = new GrabBatcher(stock, 100,
      (deal, grabs) => { batches.push({ deal, n: grabs.length }); },
      (owner, answer) => {
        open = { owner: (owner as { name: string }).name, answers: [] };
        answer();
        deliveries.push(open);
        open = null;
      });
    const alice = { name: 'alice' };
    const bob = { name: 'bob' };
    const done: Promise<void>[] = [];
    const grab = (owner: { name: string }, deal: string, rid: string) => done.push(new Promise((resolve, reject) => {
      const g: PendingGrab = {
        shopper: owner.name, qty: 1, rid, owner,
        resolve(d: GrabDecision) {
          // an answer outside its owner's delivery would be its own write
          if (open?.owner !== owner.name) reject(new Error(`${rid} answered outside ${owner.name}'s delivery`));
          open!.answers.push(`${rid}:${d.ok ? 'held' : d.code}`);
          resolve();
        },
        reject,
      };
      batcher.add(deal, g);
    }));
    // one event-loop turn: alice and bob interleaved over two deals; deal 701 sells out
    grab(alice, '701', 'a1'); grab(bob, '701', 'b1'); grab(alice, '702', 'a2');
    grab(alice, '701', 'a3'); grab(bob, '701', 'b2'); grab(bob, '702', 'b3');
    await Promise.all(done);
    await batcher.drained();

    // the two deals' calls run side by side (on a cluster, on different masters): no order
    // between deals, only within each
    expect([...batches].sort((a, b) => a.deal.localeCompare(b.deal))).toEqual([{ deal: '701', n: 4 }, { deal: '702', n: 2 }]);
    // per batch (deal), one delivery per owner, in arrival order within it
    const ofDeal = (rids: RegExp) => deliveries.filter((d) => rids.test(d.answers[0]!));
    expect(deliveries).toHaveLength(4);
    expect(ofDeal(/^(a1|a3|b1|b2):/)).toEqual([
      { owner: 'alice', answers: ['a1:held', 'a3:held'] },
      { owner: 'bob', answers: ['b1:held', 'b2:sold_out'] },
    ]);
    expect(ofDeal(/^(a2|b3):/)).toEqual([
      { owner: 'alice', answers: ['a2:held'] },
      { owner: 'bob', answers: ['b3:held'] },
    ]);
  });
  it('a turn that does not end (libuv stuck in its poll phase) still sends its grabs after 50 ms', async () => {
    env = await createTestEnv();
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const now = Date.now();
    await stock.warmDeal({ id: '703', festivalId: '1', stock: 10, limit: 5, holdSeconds: 60, startsAt: now - 1_000,
      endsAt: now + 60_000, unitPriceMinor: 100, currency: 'PKR', status: 'open' });
    const decidedAt: number[] = [];
    const batcher = new GrabBatcher(stock, 100, (_deal, _grabs, result) => { decidedAt.push(result.now); });
    const owner = {};
    const pending = (rid: string) => new Promise<void>((resolve, reject) => {
      batcher.add('703', { shopper: 's', qty: 1, rid, owner, resolve: () => resolve(), reject });
    });
    const busy = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) { /* the turn goes on */ } };
    // one long turn: no setImmediate can run until it ends, but Redis runs beside it
    const first = pending('r1');
    busy(60);
    const second = pending('r2'); // the first grab has waited 60 ms: its batch leaves now
    busy(300);
    const turnEnded = Date.now();
    await Promise.all([first, second]);
    await batcher.drained();
    // decided by Redis (its clock) while the turn was still running, not after it ended
    expect(decidedAt.length).toBe(1);
    expect(decidedAt[0]!).toBeLessThan(turnEnded - 100);
  });
});
