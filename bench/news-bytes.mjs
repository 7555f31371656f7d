// `node --import tsx bench/news-bytes.mjs [--gateways=4] [--orders=2000]`
// Bytes each gateway's Redis subscriber connection receives per order: GATEWAYS gateways in this
// process (built like main.ts builds one, each with its own subscriber connection), one order
// worker, ORDERS shoppers spread evenly over the gateways, each grabbing one unit of one deal.
// Counted from the subscriber socket's bytesRead between the first grab and the last shopper's
// `order` news (TICKER_PER_SECOND=0, so the ticker adds nothing). Single Redis only: on a
// cluster ioredis reads shard channels over one connection per master that it keeps to itself.
// The same script runs on an older commit to measure "before" (it uses only createGateway,
// startWorkers and the test helpers, whose shapes did not change).
import { createTestEnv, waitFor } from '../server/test/helpers/test-env.ts';
import { seedDeals, warmNow } from '../server/test/helpers/engine.ts';
import { SessionSigner } from '../server/src/gateway/session.ts';
import { ShopperSocket } from '../server/test/helpers/shopper-socket.ts';
import { createGateway } from '../server/src/gateway/app.ts';
import { Admission } from '../server/src/admission/queues.ts';
import { startWorkers } from '../server/src/admission/index.ts';
import { createLogger } from '../server/src/logger.ts';
import { createBlockingRedis, createRedis } from '../server/src/redis.ts';

const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const GATEWAYS = arg('gateways', 4);
const ORDERS = arg('orders', 2000);

const env = await createTestEnv({ TICKER_PER_SECOND: '0', LOG_LEVEL: 'warn' });
if (env.config.redisClusterNodes.length > 0) throw new Error('news-bytes: single Redis only (see the header)');
const logger = createLogger('warn');
const gateways = [];
for (let i = 0; i < GATEWAYS; i++) {
  const subscriber = createRedis(env.config);
  const queueConnection = createBlockingRedis(env.config);
  const admission = new Admission(env.config, queueConnection);
  const gateway = await createGateway({
    config: env.config, logger, pool: env.pool, redis: createRedis(env.config), subscriber, admission,
    pay: async () => ({ ok: false, code: 'unavailable' }),
  });
  const port = await gateway.listen(0, '127.0.0.1');
  gateways.push({ gateway, port, subscriber, admission, queueConnection });
}
const workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger });
const { dealIds: [dealId] } = await seedDeals(env.pool, [{ stock: ORDERS, limit: 1, startsIn: -1_000 }]);
await warmNow(env, [dealId]);

// sessions minted here: POST /api/session is rate limited per address
const sessions = new SessionSigner(env.config.sessionSecret, env.config.sessionTtlSeconds);
const shoppers = [];
for (let i = 0; i < ORDERS; i++) {
  const g = gateways[i % GATEWAYS];
  const session = sessions.issue();
  const url = `ws://127.0.0.1:${g.port}/ws`;
  // a second socket of the shopper on the same gateway (one route, as before): the order news
  // goes to the shopper's sockets other than the one answered `held`
  shoppers.push({ grabbing: await ShopperSocket.open(url, session.token), other: await ShopperSocket.open(url, session.token) });
}
await new Promise((r) => setTimeout(r, 500)); // routes written, connections quiet
const before = gateways.map((g) => g.subscriber.stream.bytesRead);
shoppers.forEach((s, i) => s.grabbing.send({ t: 'grab', deal: dealId, qty: 1, rid: `r${i}` }));
await Promise.all(shoppers.map((s) => s.other.waitFor((m) => m.t === 'order', 60_000)));
await new Promise((r) => setTimeout(r, 300)); // news for other gateways' shoppers still on the way
const received = gateways.map((g, i) => g.subscriber.stream.bytesRead - before[i]);

const perOrder = received.map((b) => b / ORDERS);
console.log(JSON.stringify({ gateways: GATEWAYS, orders: ORDERS, bytesPerGateway: received, bytesPerOrderPerGateway: perOrder.map((x) => Math.round(x * 10) / 10) }));
console.log(`news-bytes: ${GATEWAYS} gateways, ${ORDERS} orders: each gateway received ${perOrder.map((x) => x.toFixed(1)).join(' / ')} bytes per order (all gateways together ${(received.reduce((a, b) => a + b, 0) / ORDERS).toFixed(1)})`);

for (const s of shoppers) { s.grabbing.close(); s.other.close(); }
for (const g of gateways) {
  await g.gateway.close();
  await g.admission.close();
  g.subscriber.disconnect();
  g.queueConnection.disconnect();
}
await workers.close();
await env.cleanup();
process.exit(0);
