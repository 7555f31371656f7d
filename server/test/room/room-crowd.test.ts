// 50,000 waiters across processes: three gateway processes and a worker (one process holds at
// most ~19,900 sockets here), four load processes of the C generator's room role
// (bench/load/wsload-room.c), each waiter solving its own proof of work (made cheap by
// CROWD_ROOM_ENV). All join before the opening; the draw must number them 1..N without gaps,
// each exactly once; admission must stay within the stock; and every waiter must be told
// sold out. The crowd itself is bench/lib/room-crowd.mjs, shared with `npm run bench -- room`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { SessionSigner } from '../../src/gateway/session.ts';

const WAITERS = 50_000;
const STOCK = 400;

interface Engine { ports: number[]; stop(): Promise<void> }
interface CrowdResult { failures: string[]; figures: Record<string, number> }
const bench = (p: string) => new URL(`../../../bench/lib/${p}`, import.meta.url).href;
const { startEngine } = (await import(bench('env.mjs'))) as {
  startEngine(ns: { env: Record<string, string> }, o: { gateways: number; worker: boolean; env: Record<string, string> }): Promise<Engine>;
};
const { runRoomCrowd, CROWD_ROOM_ENV } = (await import(bench('room-crowd.mjs'))) as {
  CROWD_ROOM_ENV: Record<string, string>;
  runRoomCrowd(ns: unknown, o: { engine: Engine; waiters: number; stock: number; loads: number; outflow: number; timeoutMs: number; log?: (m: string) => void }): Promise<CrowdResult>;
};

let env: TestEnv;
let engine: Engine | undefined;

beforeAll(async () => {
  env = await createTestEnv(CROWD_ROOM_ENV);
  engine = await startEngine({ env: env.env }, { gateways: 3, worker: true, env: {} });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await env?.cleanup();
}, 60_000);

describe('a crowd of 50,000 waiters', () => {
  it('each gets one distinct number of 1..N, admission stays within the stock, all hear sold out', async () => {
    const ns = { env: env.env, config: env.config, redis: env.redis, pool: env.pool, stock: new StockStore(env.redis, env.config.keyPrefix),
      signer: new SessionSigner(env.config.sessionSecret, 7200) };
    const r = await runRoomCrowd(ns, { engine: engine!, waiters: WAITERS, stock: STOCK, loads: 4, outflow: 2_000, timeoutMs: 100_000, log: (m: string) => console.log(m) });
    expect(r.failures).toEqual([]);
    expect(r.figures.admitted).toBe(STOCK);
    expect(r.figures.pows).toBeGreaterThanOrEqual(WAITERS);
  }, 170_000);
});
