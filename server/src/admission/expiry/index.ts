// How a hold expires, end to end. Start here; this folder holds the admission side, and the
// steps owned elsewhere are named with their file.
//
//  1. The hold is made with its end: stock/lua/grab-batch-5.lua writes each hold's expiresAt
//     (Redis TIME + the deal's hold time) in the deal's holds hash, and adds one entry per grab
//     batch to the deal's expiry index (a ZSET scored by expiresAt), kept only as the safety
//     net of step 6.
//  2. The expiry is scheduled once the order exists: the order worker (admission/order-worker.ts)
//     writes the batch's order rows, then scheduleExpiryBatch (expiry-jobs.ts) adds one delayed
//     job per order job and deal, due at the holds' expiresAt, on the expiry queue of the deal's
//     admission shard (admission/shards.ts). A crash before that re-runs the order job, which
//     writes nothing twice and schedules again under the same job id.
//  3. The job comes due: expiry-worker.ts expires its holds together; a hold Redis says is not
//     due yet (this host's clock ran ahead of Redis TIME) sends the job back to sleep.
//  4. The holds expire (expire-hold.ts, expireHoldsNow): StockStore.releaseExpiredHold runs
//     stock/lua/release-expired-hold-3.lua for each, all at once, which decides by Redis TIME
//     and, exactly once, gives the units back, lowers the shopper's count and marks the hold
//     expired (paid or already released: nothing changes).
//  5. Postgres and the shoppers follow, idempotently: the pending orders are cancelled and the
//     releases booked in one transaction (db/orders-repo.ts cancelOrders, a 'release' row each
//     in the stock ledger); a hold with no pending row takes the one-by-one path
//     (cancelPendingOrder; written as cancelled when the order job lags). The shoppers get their
//     'expired' notes in one message through live/shopper-news.ts.
//  6. Lost jobs: the scheduler's reconcile (scheduler/reconcile.ts) calls requeueOverdueExpiries
//     (expiry-jobs.ts), which reads the expiry index through StockStore.dueHolds for holds still
//     held past their end plus a grace, takes the holds Redis released whose order is still
//     pending past it (their expiry died between the two stores), and re-queues a per-hold job
//     unless one under the hold's ids is pending (x<n>-<hold>, admission/tries.ts).
//  7. Paying too late is refused: admission/payments.ts answers hold_expired when the record says
//     expired or Redis TIME has passed expiresAt, and stock/lua/confirm-payment-2.lua refuses
//     an expired hold if the expiry won the race (the charge is then refunded).
export { expireHoldNow, expireHoldsNow, type ExpireDeps } from './expire-hold.ts';
export { startExpiryWorker } from './expiry-worker.ts';
export {
  requeueOverdueExpiries, scheduleExpiries, scheduleExpiryBatch,
  type ExpiryBatchJob, type ExpiryJob, type ExpiryQueue, type ExpiryQueues,
} from './expiry-jobs.ts';
