// What every admission worker needs, built once by startWorkers (index.ts).
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { StockStore } from '../stock/stock-store.ts';
import type { Admission } from './queues.ts';

/** Counters the ops board and /metrics can read; plain numbers, no metrics library here. */
export interface AdmissionStats {
  ordersWritten: number;
  orderBatches: number;
  holdsReleased: number;
  paymentsSettled: number;
  /** Redis said paid but Postgres has the order cancelled: the stores disagree. Must stay 0. */
  paidButCancelled: number;
}

export function newStats(): AdmissionStats {
  return { ordersWritten: 0, orderBatches: 0, holdsReleased: 0, paymentsSettled: 0, paidButCancelled: 0 };
}

export interface AdmissionDeps {
  config: Readonly<Config>;
  /** plain connection: Lua, pub/sub publish, queue adds */
  redis: RedisClient;
  pool: Pool;
  logger: Logger;
  stock: StockStore;
  admission: Admission;
  stats: AdmissionStats;
}
