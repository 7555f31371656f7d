// A waiting-room crowd through real engine processes, shared by the room test
// (server/test/room/room-crowd.test.ts) and the bench (bench/scenarios/room.mjs): `waiters`
// shoppers on their own WebSockets (the C generator's room role, several processes) join a
// deal's line before it opens, each solving the door's proof of work; the deal opens, the draw
// numbers the pre-queue, admitted shoppers grab with their pass and pay, the deal sells out and
// every waiter must hear `room_closed` sold_out. Returns what each waiter saw and what Redis and
// Postgres hold, and the list of failed correctness checks (empty when all hold).
import { now, sleep } from './env.mjs';
import { startWsLoad } from './wsload.mjs';
import { putRoomSettings } from '../../server/src/room/settings-repo.ts';
import { RoomStore } from '../../server/src/room/room-store.ts';
import { publishDealChanged } from '../../server/src/live/shopper-news.ts';

/** The room's knobs for a crowd: a cheap proof of work (a few hashes per waiter), and an
 *  admission bound of exactly the available units (nobody admitted who cannot get one). Tens of
 *  thousands of joins arrive in one burst, queued behind each other on each gateway's Redis
 *  connection: a 10 s command time-out keeps them from failing as `unavailable` on a busy
 *  machine (a waiter told so joins again, as a page does). */
export const CROWD_ROOM_ENV = {
  ROOM_POW_BASE: '20', ROOM_POW_PER_WAITER: '0', ROOM_HELD_RETURN: '0', ROOM_ADMIT_FACTOR: '1', REDIS_TIMEOUT_MS: '10000',
};

/** Inserts a festival and a deal opening in an hour (the crowd moves it), warm in Redis. */
export async function seedCrowdDeal(ns, { stock, startsAt = Date.now() + 3_600_000 }) {
  const brand = await ns.pool.query(`INSERT INTO brands (name) VALUES ('Crowd Brand') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`);
  const t = Date.now();
  const fest = await ns.pool.query(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ('Crowd Festival', to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0)) RETURNING id`,
    [t - 60_000, t + 7_200_000]);
  const festivalId = String(fest.rows[0].id);
  const deal = await ns.pool.query(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
       per_shopper_limit, hold_seconds, starts_at, ends_at)
     VALUES ($1,$2,'Crowd deal',199800,99900,'PKR',$3,1,3600, to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0)) RETURNING id`,
    [festivalId, brand.rows[0].id, stock, startsAt, startsAt + 3_600_000]);
  const dealId = String(deal.rows[0].id);
  await openDealAt(ns, { dealId, festivalId, stock, startsAt });
  return { dealId, festivalId };
}

/** Sets the deal's opening (Postgres and Redis) and tells the gateways, as a brand edit does. */
export async function openDealAt(ns, { dealId, festivalId, stock, startsAt }) {
  await ns.pool.query('UPDATE deals SET starts_at = to_timestamp($1 / 1000.0), ends_at = to_timestamp($2 / 1000.0) WHERE id = $3',
    [startsAt, startsAt + 3_600_000, dealId]);
  await ns.stock.warmDeal({ id: dealId, festivalId, stock, limit: 1, holdSeconds: 3600, startsAt, endsAt: startsAt + 3_600_000,
    unitPriceMinor: 99_900, currency: 'PKR', status: 'open' });
  await publishDealChanged(ns.redis, ns.config.keyPrefix, dealId, festivalId);
}

/**
 * ns: { env, config, redis, pool, stock (StockStore), signer (SessionSigner) }.
 * engine: a running startEngine() (env.mjs) whose processes have CROWD_ROOM_ENV.
 * Options: waiters, stock, loads (load processes), outflow (admitted/s), delayMs (every second
 * socket of each load process sends each frame that much later), timeoutMs (the whole crowd),
 * log. Returns { failures, figures, ... }.
 */
export async function runRoomCrowd(ns, { engine, waiters, stock, loads, outflow, delayMs = 0, timeoutMs = 120_000, log = () => {}, onOpen }) {
  if (!engine) throw new Error('runRoomCrowd needs a running engine');
  const failures = [];
  const check = (what, ok, detail) => { if (!ok) failures.push(`${what}: ${detail}`); };
  const { dealId, festivalId } = await seedCrowdDeal(ns, { stock });
  const rooms = new RoomStore(ns.redis, ns.config.keyPrefix, ns.config.room);
  const settings = await putRoomSettings(ns.pool, dealId, { mode: 'on', outflow, windowSeconds: 120, graceSeconds: 120, autoMultiple: 3 });
  await rooms.warm(dealId, settings);
  const urls = engine.ports.map((p) => `ws://127.0.0.1:${p}/ws`);
  const tokens = Array.from({ length: waiters }, () => ns.signer.issue().token);
  const t0 = now();
  const load = await startWsLoad({ tokens, processes: loads, cfg: { role: 'room', buy: true, urls, deal: dealId, delayMs, delayEvery: 2 } });
  if (!load) throw new Error('the C load generator (bench/load/wsload.c) could not be built: is `cc` installed?');
  const connectMs = now() - t0;
  check('every waiter connected', load.failed === 0 && load.opened === waiters, `${load.opened} opened, ${load.failed} failed`);
  log(`room crowd: ${load.opened} waiters connected in ${Math.round(connectMs)} ms`);
  const goAt = now();
  const resultP = load.run({ at: Date.now(), timeoutMs });
  // every waiter holds a pre-queue ticket: then the deal opens
  const roomKey = rooms.keys(dealId).room;
  const deadline = Date.now() + timeoutMs;
  let tickets = 0;
  while (Date.now() < deadline) {
    tickets = Number(await ns.redis.hget(roomKey, 'pre'));
    if (tickets >= load.opened) break;
    await sleep(100);
  }
  const joinedMs = now() - goAt;
  check('every waiter got a pre-queue ticket', tickets === waiters, `${tickets} tickets for ${waiters} waiters`);
  log(`room crowd: ${tickets} tickets in ${Math.round(joinedMs)} ms`);
  const openAt = Date.now() + 500;
  await onOpen?.();
  await openDealAt(ns, { dealId, festivalId, stock, startsAt: openAt });
  const res = await resultP;
  const room = await ns.redis.hgetall(roomKey);
  const deal = await ns.stock.readDeal(dealId);
  const { rows: [orders] } = await ns.pool.query(
    `SELECT count(*)::int AS n, count(DISTINCT shopper_id)::int AS shoppers FROM orders WHERE deal_id = $1`, [dealId]);

  // ---- what each waiter saw
  const per = res.rooms.filter(Boolean);
  const field = (f) => per.flatMap((r) => r[f]);
  const numbers = field('number'), numbered = field('numbered'), closed = field('closed'), soldOut = field('soldOut');
  const admitted = field('admitted'), held = field('held'), paid = field('paid');
  check('one record per waiter', numbers.length === waiters, `${numbers.length} records`);
  const notOne = numbered.filter((c) => c !== 1).length;
  check('every waiter got exactly one joined with a number', notOne === 0, `${notOne} waiters did not`);
  const distinct = new Set(numbers);
  const gaps = waiters - [...distinct].filter((n) => n >= 1 && n <= waiters).length;
  check('the numbers are 1..N, no gaps, no repeats', distinct.size === waiters && gaps === 0, `${distinct.size} distinct, ${gaps} of 1..${waiters} missing`);
  const notClosed = closed.filter((c) => c !== 1).length;
  const notSoldOut = soldOut.filter((c) => c !== 1).length;
  check('every waiter got room_closed exactly once', notClosed === 0, `${notClosed} waiters did not`);
  check('the notice said sold_out', notSoldOut === 0, `${notSoldOut} notices were not sold_out`);
  const nAdmitted = admitted.reduce((a, b) => a + b, 0);
  const nHeld = held.reduce((a, b) => a + b, 0);
  const nPaid = paid.reduce((a, b) => a + b, 0);
  check('admitted never beyond the stock (admission bound, held units counted 0)', nAdmitted <= stock && Number(room.admitted) <= stock,
    `${nAdmitted} admitted (room says ${room.admitted}), stock ${stock}`);
  check('every admitted waiter got a unit', nHeld === nAdmitted && nPaid === nHeld, `${nAdmitted} admitted, ${nHeld} held, ${nPaid} paid`);
  check('no refusals or errors', Object.keys(res.counts.refused).length === 0 && res.counts.errors === 0,
    `refused ${JSON.stringify(res.counts.refused)}, errors ${res.counts.errors}`);
  check('no unit oversold (Redis)', deal && deal.sold === stock && deal.available === 0 && deal.held === 0,
    `${JSON.stringify(deal && { sold: deal.sold, available: deal.available, held: deal.held })}, stock ${stock}`);
  check('no order beyond the stock (Postgres)', orders.n <= stock && orders.shoppers === orders.n, `${orders.n} orders, ${orders.shoppers} shoppers`);
  check('the room closed sold out', room.state === 'closed' && room.reason === 'sold_out', `${room.state} ${room.reason}`);

  // ---- figures
  const perProcess = loads;
  const delayedOf = (r) => r.held.reduce((n, h, i) => n + (delayMs && i % 2 === 1 ? h : 0), 0);
  const heldDelayed = per.reduce((n, r) => n + delayedOf(r), 0);
  const delayedWaiters = delayMs ? per.reduce((n, r) => n + Math.floor(r.held.length / 2), 0) : 0;
  const soldOutAt = Number(room.soldOutAt);
  const lastClosed = Math.max(...per.map((r) => r.lastClosedAt));
  const firstJoin = Math.min(...per.map((r) => r.firstJoinAt));
  return {
    failures, dealId, perProcess, counts: res.counts, servingLat: res.lat, cpu: res.cpu,
    figures: {
      connectMs, joinedMs, joinsPerSecond: waiters / (joinedMs / 1000), firstJoin, openAt,
      soldOutAt, lastClosedAt: lastClosed, soldOutKnownMs: lastClosed - soldOutAt, openToSoldOutMs: soldOutAt - openAt,
      admitted: nAdmitted, held: nHeld, heldDelayed, delayedWaiters, pows: per.reduce((n, r) => n + r.pows, 0),
      rejoins: per.reduce((n, r) => n + r.rejoins, 0),
    },
  };
}
