// The stock scripts in ./lua as typed ioredis commands. Their integer codes become typed results
// in ./decisions.ts, the one place that knows the numbers.
import type { Result } from 'ioredis';
import { luaCommands } from '../lua-commands.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ffGrabBatch(deal: string, rids: string, per: string, holds: string, exp: string,
      ...args: (string | number)[]): Result<string, Context>;
    ffReleaseExpiredHold(deal: string, per: string, holds: string,
      hold: string, force: '0' | '1'): Result<(string | number)[], Context>;
    ffConfirmPayment(deal: string, holds: string,
      hold: string, shopper: string): Result<(string | number)[], Context>;
    ffWarmDeal(deal: string, ...args: (string | number)[]): Result<[number, number], Context>;
    ffTakeStock(deal: string, movesOut: string, moveId: string, to: number, wanted: number): Result<(string | number)[], Context>;
    ffCreditStock(deal: string, movesIn: string, moveId: string, from: number, units: number, donorEpoch: number): Result<number, Context>;
    ffFenceMoves(deal: string, bucket: number, epoch: number): Result<number, Context>;
    ffCloseMove(deal: string, movesOut: string, moveId: string): Result<number, Context>;
    ffSetStatus(deal: string, status: string): Result<number, Context>;
    ffAddLocalRefusals(deal: string, field: string, n: number): Result<number, Context>;
    ffReleasePayLock(lock: string, token: string): Result<number, Context>;
    ffSettleLostHold(deal: string, per: string, holds: string, exp: string,
      ...args: (string | number)[]): Result<number, Context>;
    ffRestoreBucket(deal: string, per: string, holds: string, exp: string, movesOut: string, movesIn: string,
      ...args: (string | number)[]): Result<[number, number, number, number, number], Context>;
  }
}

export const defineStockScripts = luaCommands(new URL('./lua/', import.meta.url), {
  ffGrabBatch: 'grab-batch-5.lua',
  ffReleaseExpiredHold: 'release-expired-hold-3.lua',
  ffConfirmPayment: 'confirm-payment-2.lua',
  ffWarmDeal: 'warm-deal-1.lua',
  ffTakeStock: 'take-stock-2.lua',
  ffCreditStock: 'credit-stock-2.lua',
  ffFenceMoves: 'fence-moves-1.lua',
  ffCloseMove: 'close-move-2.lua',
  ffSetStatus: 'set-status-1.lua',
  ffAddLocalRefusals: 'add-local-refusals-1.lua',
  ffReleasePayLock: 'release-pay-lock-1.lua',
  ffSettleLostHold: 'settle-lost-hold-4.lua',
  ffRestoreBucket: 'restore-bucket-6.lua',
});
