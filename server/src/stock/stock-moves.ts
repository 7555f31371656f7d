// Stock moves between the buckets of one deal (./buckets.ts). The buckets sit on different
// slots, so no one Lua call can touch two of them; a move is three calls, each atomic on one
// bucket and each a no-op when its move id is already recorded:
//   1. take   (donor):    available -= n, stock -= n, moving += n; journal out[id] = taken
//   2. credit (receiver): available += n, stock += n;               journal in[id]  = from|n
//   3. close  (donor):    moving -= n;                              journal out[id] = done
// A unit is thus always in exactly one place: in a bucket, or "moving" in the donor's journal
// until the receiver's journal shows the credit. A mover that dies after 1 leaves an open
// entry; finishMoves (reconcile, and any grab that finds every bucket dry) credits and closes
// it, and since credit is keyed by the move id in the receiver's journal, a recovery racing a
// mover that is still alive credits once between them. A donor re-created from Postgres after
// it took (./deal-restore.ts) has those units back in its stock: the credit carries the donor's
// epoch from the take, and the receiver refuses one older than its fence for that donor.
import { randomUUID } from 'node:crypto';
import { bucketKeys } from './keys.ts';
import { decodeTake, type TakeResult } from './decisions.ts';
import type { RedisClient } from '../redis.ts';

export interface MoveHooks {
  /** runs after the take and before the credit (a test stops here to play a crash) */
  afterTake?(moveId: string, taken: number): Promise<void> | void;
  /** runs after the credit and before the close */
  afterCredit?(moveId: string): Promise<void> | void;
}

/** An open move in a donor's journal. */
export interface OpenMove {
  moveId: string;
  from: number;
  to: number;
  units: number;
}

export class StockMoves {
  constructor(private readonly redis: RedisClient, private readonly prefix: string) {}

  private keys(dealId: string, bucket: number, buckets: number) {
    return bucketKeys(this.prefix, dealId, bucket, buckets);
  }

  async take(dealId: string, buckets: number, from: number, to: number, moveId: string, wanted: number): Promise<TakeResult> {
    const k = this.keys(dealId, from, buckets);
    return decodeTake(await this.redis.ffTakeStock(k.deal, k.movesOut, moveId, to, wanted));
  }

  /** 1 credited now, 0 already credited, -1 the receiver is not warmed, -2 the donor was
   *  restored from Postgres after it took them at `donorEpoch` (the units are its again). */
  async credit(dealId: string, buckets: number, to: number, moveId: string, from: number, units: number, donorEpoch: number): Promise<number> {
    const k = this.keys(dealId, to, buckets);
    return this.redis.ffCreditStock(k.deal, k.movesIn, moveId, from, units, donorEpoch);
  }

  async close(dealId: string, buckets: number, from: number, moveId: string): Promise<boolean> {
    const k = this.keys(dealId, from, buckets);
    return (await this.redis.ffCloseMove(k.deal, k.movesOut, moveId)) === 1;
  }

  /** Moves up to `wanted` units (more when the donor has plenty: take-stock-2.lua) from bucket
   *  `from` to bucket `to`; returns the units moved and what the donor said. */
  async move(dealId: string, buckets: number, from: number, to: number, wanted: number, hooks: MoveHooks = {},
    moveId: string = randomUUID()): Promise<TakeResult> {
    const t = await this.take(dealId, buckets, from, to, moveId, wanted);
    if (t.taken <= 0) return t;
    await hooks.afterTake?.(moveId, t.taken);
    if (await this.credit(dealId, buckets, to, moveId, from, t.taken, t.epoch) < 0) {
      // the receiver is gone (a flush): the move stays open and recovery credits it later; or
      // the donor was lost and restored meanwhile, with these units back in its stock
      return { ...t, taken: 0 };
    }
    await hooks.afterCredit?.(moveId);
    await this.close(dealId, buckets, from, moveId);
    return t;
  }

  /**
   * Fills bucket `to` (of `buckets`) with at least `wanted` units if the others have them,
   * asking the donors one after another from the next bucket on. When nobody had a unit but
   * some were in flight (a move of another grab, or one whose mover died), finishes the open
   * moves and asks once more: units between two buckets are still for sale. Returns the units
   * moved into `to`; 0 means every other bucket was dry and nothing was in flight.
   */
  async refill(dealId: string, to: number, buckets: number, wanted: number): Promise<number> {
    let got = 0;
    for (let round = 0; round < 2; round++) {
      let inFlight = false;
      for (let step = 1; step < buckets && got < wanted; step++) {
        const from = (to + step) % buckets;
        const t = await this.move(dealId, buckets, from, to, wanted - got);
        if (t.taken > 0) got += t.taken;
        if (t.movingBefore > 0) inFlight = true;
      }
      if (got > 0) return got;
      // the receiver's own outgoing moves count too: they land in a bucket we may then ask
      if (!inFlight && !(await this.anyMoving(dealId, buckets))) return 0;
      await this.finishMoves(dealId, buckets);
    }
    return got;
  }

  private async anyMoving(dealId: string, buckets: number): Promise<boolean> {
    const moving = await Promise.all(Array.from({ length: buckets }, (_, b) => this.redis.hget(this.keys(dealId, b, buckets).deal, 'moving')));
    return moving.some((m) => Number(m ?? 0) > 0);
  }

  /** The moves taken from some bucket of the deal and not yet closed. */
  async openMoves(dealId: string, buckets: number): Promise<OpenMove[]> {
    const open: OpenMove[] = [];
    await Promise.all(Array.from({ length: buckets }, async (_, from) => {
      const journal = await this.redis.hgetall(this.keys(dealId, from, buckets).movesOut);
      for (const [moveId, rec] of Object.entries(journal)) {
        const m = /^(\d+)\|(\d+)\|taken$/.exec(rec);
        if (m) open.push({ moveId, from, to: Number(m[1]), units: Number(m[2]) });
      }
    }));
    return open;
  }

  /** Recovery: credits (once) and closes every open move of the deal. Safe at any time, also
   *  beside a mover still at work. Returns the moves closed by this call. */
  async finishMoves(dealId: string, buckets: number): Promise<number> {
    let closed = 0;
    // a donor's journal holds only moves of its present epoch (a restore empties it); read
    // before the journals, a restore in between leaves a stale entry with the old epoch: fenced
    const epochs = await Promise.all(Array.from({ length: buckets }, (_, b) => this.redis.hget(this.keys(dealId, b, buckets).deal, 'epoch')));
    const open = await this.openMoves(dealId, buckets);
    for (const m of open) {
      if (await this.credit(dealId, buckets, m.to, m.moveId, m.from, m.units, Number(epochs[m.from] ?? 0)) < 0) continue;
      if (await this.close(dealId, buckets, m.from, m.moveId)) closed++;
    }
    return closed;
  }
}
