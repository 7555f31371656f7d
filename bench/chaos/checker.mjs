// The checker: after the storm and the faults, once the system has settled, what every promise
// of the README says must hold, each check printed with its name, PASS or FAIL and its numbers.
// It reads Redis (the deal's hashes), Postgres (orders, ledger, deal events) and what the
// shoppers were told (shoppers.mjs's record); it never relaxes a bound to pass.
import { dealHolds } from '../../server/src/db/orders-repo.ts';
import { dealKeys } from '../../server/src/stock/keys.ts';
import { sleep } from './nemesis.mjs';

const countBy = (xs) => { const m = new Map(); for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1); return m; };
const LUA_CODES = { 1: 'held', 2: 'held', [-1]: 'unknown_deal', [-2]: 'not_open', [-3]: 'ended', [-4]: 'sold_out', [-5]: 'limit_reached', [-6]: 'invalid' };

/** What Redis and Postgres hold for the deal now. */
export async function readState({ redis, pool, keyPrefix, dealId }) {
  const k = dealKeys(keyPrefix, dealId);
  const [deal, rids, holds, per] = await Promise.all([k.deal, k.rids, k.holds, k.perShopper].map((key) => redis.hgetall(key)));
  const holdList = Object.entries(holds).map(([hold, raw]) => {
    const [shopper, qty, expiresAt, state] = raw.split('|');
    return { hold, shopper, qty: Number(qty), expiresAt: Number(expiresAt), state };
  });
  const { rows: orders } = await pool.query(`SELECT hold_id, shopper_id, qty, status FROM orders WHERE ${dealHolds('$1')}`, [dealId]);
  const { rows: ledger } = await pool.query(`SELECT hold_id, reason, qty FROM stock_ledger WHERE ${dealHolds('$1')}`, [dealId]);
  const { rows: [dealRow] } = await pool.query(
    `SELECT state, extract(epoch FROM starts_at) * 1000 AS starts_at, extract(epoch FROM opened_at) * 1000 AS opened_at,
       (SELECT extract(epoch FROM min(at)) * 1000 FROM deal_events WHERE deal_id = $1 AND to_state = 'live') AS live_at
     FROM deals WHERE id = $1`, [dealId]);
  const num = (x) => (x === undefined ? NaN : Number(x));
  return {
    counters: { stock: num(deal.stock), available: num(deal.available), held: num(deal.held), sold: num(deal.sold), seq: num(deal.seq) },
    rids, holds: holdList, per, orders, ledger, deal: dealRow,
  };
}

/** Polls until every hold has ended and Postgres has caught up, or `timeoutMs` passed. */
export async function waitSettled(ctx, { timeoutMs, log }) {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    let s = null;
    try { s = await readState(ctx); } catch (err) { last = `read failed: ${err.message}`; }
    if (s) {
      const open = s.holds.filter((h) => h.state === 'held').length;
      const pending = s.orders.filter((o) => o.status === 'pending').length;
      const ends = s.ledger.filter((l) => l.reason !== 'hold').length;
      last = `${open} holds still held, ${s.orders.length}/${s.holds.length} order rows, ${pending} pending, ledger ${s.ledger.length - ends} hold + ${ends} end rows`;
      if (open === 0 && s.orders.length === s.holds.length && pending === 0 && s.ledger.length === 2 * s.holds.length) {
        return { ms: Date.now() - t0, settled: true, last };
      }
    }
    if (Date.now() - t0 > timeoutMs) return { ms: Date.now() - t0, settled: false, last };
    if ((Date.now() - t0) % 5000 < 500) log(`settle: ${last}`);
    await sleep(500);
  }
}

export function runChecks({ state, rec, shopperOf, stock, limit, planned, failFastMs, outage, reconcileRun }) {
  const outageMs = outage ? outage.backAt - outage.killedAt : 0;
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  const { counters: c, holds, orders, ledger } = state;
  const sample = (xs, n = 5) => (xs.length ? ` e.g. ${xs.slice(0, n).join(', ')}` : '');

  // what Redis recorded per rid: "<shopper>:<rid>" -> { t, hold, code }
  const record = new Map();
  for (const [field, raw] of Object.entries(state.rids)) {
    const [code, hold] = raw.split('|');
    const name = LUA_CODES[Number(code)] ?? `code ${code}`;
    record.set(field, name === 'held' ? { t: 'held', hold } : { t: 'refused', code: name });
  }
  const same = (a, b) => a.t === b.t && (a.t === 'held' ? a.hold === b.hold : a.code === b.code);
  const show = (a) => (a ? (a.t === 'held' ? `held ${a.hold}` : a.code) : 'none');
  const ridOf = (key) => { const [p, i, seq] = key.split(':'); return `${shopperOf(Number(p), Number(i))}:${seq}`; };
  const finals = (list) => list.filter((a) => !(a.t === 'refused' && a.code === 'unavailable'));

  // 1. every planned grab got a final answer
  const unanswered = [...rec.sends.keys()].filter((k) => finals(rec.answers.get(k) ?? []).length === 0);
  check('every grab answered', rec.sends.size === planned && unanswered.length === 0,
    `${rec.sends.size} of ${planned} planned grabs sent, ${unanswered.length} without a final answer${sample(unanswered)}`);

  // 2. units: held + sold + available == stock
  check('units held+sold+available == stock', c.available + c.held + c.sold === stock && c.stock === stock && c.available >= 0 && c.held >= 0 && c.sold >= 0,
    `Redis: available ${c.available} + held ${c.held} + sold ${c.sold} = ${c.available + c.held + c.sold}, stock ${c.stock} (deal stock ${stock})`);

  // 3. nobody over the limit (Redis per-shopper counts, and what Postgres says they kept)
  const overRedis = Object.entries(state.per).filter(([, n]) => Number(n) > limit).map(([s]) => s);
  const kept = new Map();
  for (const o of orders) if (o.status !== 'cancelled') kept.set(o.shopper_id, (kept.get(o.shopper_id) ?? 0) + o.qty);
  const overPg = [...kept].filter(([, n]) => n > limit).map(([s]) => s);
  const live = new Map();
  for (const h of holds) if (h.state !== 'expired') live.set(h.shopper, (live.get(h.shopper) ?? 0) + h.qty);
  const perWrong = [...new Set([...Object.keys(state.per), ...live.keys()])].filter((s) => Number(state.per[s] ?? 0) !== (live.get(s) ?? 0));
  check('nobody over limit', overRedis.length === 0 && overPg.length === 0 && perWrong.length === 0,
    `limit ${limit}: ${overRedis.length} shoppers over in Redis, ${overPg.length} in Postgres (paid + pending), ${perWrong.length} per-shopper counts != their live holds${sample([...overRedis, ...overPg, ...perWrong])}`);

  // 4. one hold per rid, one rid per hold (Redis's records and what shoppers were told)
  const ridsPerHold = new Map();
  for (const [field, r] of record) if (r.t === 'held') ridsPerHold.set(r.hold, [...(ridsPerHold.get(r.hold) ?? []), field]);
  const holdTwoRids = [...ridsPerHold].filter(([, f]) => f.length > 1).map(([h]) => h);
  const holdNoRid = holds.filter((h) => !ridsPerHold.has(h.hold)).map((h) => h.hold);
  const told = new Map(); // hold -> grab keys told it
  const ridTwoHolds = [];
  for (const [key, list] of rec.answers) {
    const hs = new Set(list.filter((a) => a.t === 'held').map((a) => a.hold));
    if (hs.size > 1) ridTwoHolds.push(key);
    for (const h of hs) told.set(h, [...(told.get(h) ?? []), key]);
  }
  const holdTwoKeys = [...told].filter(([, k]) => k.length > 1).map(([h]) => h);
  check('no rid with two holds, no hold with two rids', holdTwoRids.length + holdNoRid.length + ridTwoHolds.length + holdTwoKeys.length === 0,
    `Redis: ${holdTwoRids.length} holds with 2+ rid records, ${holdNoRid.length} holds with none; shoppers: ${ridTwoHolds.length} rids told 2+ hold ids, ${holdTwoKeys.length} hold ids told to 2+ rids${sample([...holdTwoRids, ...holdNoRid, ...ridTwoHolds, ...holdTwoKeys])}`);

  // 5. every resent rid (resent by a reconnecting socket, after `unavailable`, or on purpose on
  // a fresh socket) got its first answer: Redis's record of that rid, the same every time
  const resentKeys = new Set(rec.resent.keys());
  for (const [key, sends] of rec.sends) if (sends.some((s) => s.retry)) resentKeys.add(key);
  const badResend = [];
  let resendAnswers = 0;
  for (const key of resentKeys) {
    const got = finals(rec.answers.get(key) ?? []);
    const want = record.get(ridOf(key));
    const afterResend = rec.resent.has(key) ? got.filter((a) => a.at >= rec.resent.get(key)) : got;
    resendAnswers += afterResend.length;
    if (!want || got.length === 0 || (rec.resent.has(key) && afterResend.length === 0) || got.some((a) => !same(a, want))) {
      badResend.push(`${key} told [${got.map(show).join('; ')}] Redis ${show(want)}`);
    }
  }
  check('every resent rid got its first answer', badResend.length === 0 && resentKeys.size > 0,
    `${resentKeys.size} rids resent (${rec.resent.size} answered ones on a fresh socket), ${resendAnswers} answers, ${badResend.length} wrong or missing${sample(badResend, 3)}`);

  // 5b. the DESIGN invariant behind it: no answer contradicts Redis's record of its rid
  const contradict = [];
  for (const [key, list] of rec.answers) {
    const want = record.get(ridOf(key));
    if (want && finals(list).some((a) => !same(a, want))) contradict.push(`${key} told [${finals(list).map(show).join('; ')}] Redis ${show(want)}`);
  }
  check('no answer contradicts Redis\'s record of its rid', contradict.length === 0,
    `${contradict.length} rids of ${rec.answers.size}${sample(contradict, 3)}`);

  // 6. every acknowledged hold exists in Redis and in Postgres
  const acked = [...told.keys()];
  const inRedis = new Set(holds.map((h) => h.hold));
  const inPg = new Set(orders.map((o) => o.hold_id));
  const missRedis = acked.filter((h) => !inRedis.has(h));
  const missPg = acked.filter((h) => !inPg.has(h));
  check('every acknowledged hold in Redis and Postgres', acked.length > 0 && missRedis.length === 0 && missPg.length === 0,
    `${acked.length} holds answered held: ${missRedis.length} missing in Redis, ${missPg.length} without an order row${sample([...missRedis, ...missPg])}`);

  // 7. order rows == holds
  const pgOnly = [...inPg].filter((h) => !inRedis.has(h));
  const redisOnly = [...inRedis].filter((h) => !inPg.has(h));
  check('order rows == holds', orders.length === holds.length && pgOnly.length === 0 && redisOnly.length === 0 && c.seq === holds.length,
    `${orders.length} order rows, ${holds.length} holds in Redis (deal seq ${c.seq}); ${redisOnly.length} holds without a row, ${pgOnly.length} rows without a hold${sample([...redisOnly, ...pgOnly])}`);

  // 8. every hold ended exactly once: paid (sold) or expired (stock back), Redis and Postgres agreeing
  const status = new Map(orders.map((o) => [o.hold_id, o.status]));
  const stillHeld = holds.filter((h) => h.state === 'held').map((h) => h.hold);
  const disagree = holds.filter((h) => h.state !== 'held' && status.has(h.hold) && status.get(h.hold) !== (h.state === 'paid' ? 'paid' : 'cancelled')).map((h) => `${h.hold} ${h.state}/${status.get(h.hold)}`);
  const paidUnits = holds.filter((h) => h.state === 'paid').reduce((n, h) => n + h.qty, 0);
  const expired = holds.filter((h) => h.state === 'expired').length;
  const paidTold = [...rec.pays].filter(([, p]) => p.answers.some((a) => a.t === 'paid')).map(([h]) => h);
  const paidLost = paidTold.filter((h) => holds.find((x) => x.hold === h)?.state !== 'paid');
  check('every hold ended exactly once', stillHeld.length === 0 && disagree.length === 0 && c.held === 0 && c.sold === paidUnits && c.available === stock - paidUnits && paidLost.length === 0,
    `${holds.length - stillHeld.length - expired} paid + ${expired} expired of ${holds.length} holds, ${stillHeld.length} still held; Redis/Postgres disagree on ${disagree.length}; counters held ${c.held}, sold ${c.sold} (paid units ${paidUnits}), available ${c.available}; ${paidLost.length} of ${paidTold.length} holds answered paid not paid in Redis${sample([...stillHeld, ...disagree, ...paidLost])}`);

  // 8b. every shopper learned how each of its holds ended, also across a reconnect: a push, the
  // pay answer, or the holds frame that answers a (re)subscription
  const unlearned = acked.filter((h) => !rec.learned.has(h));
  // of those, the ones whose socket opened again after the hold's end: the holds frame of that
  // (re)subscription should have told them (README, Wire protocol)
  const endOf = new Map(holds.map((h) => [h.hold, h.expiresAt]));
  const reopenedAfter = unlearned.filter((h) => told.get(h).some((key) => (rec.opens.get(key.split(':').slice(0, 2).join(':')) ?? 0) > endOf.get(h)));
  // an order push heard for the hold: its route and the gateway's subscription worked then
  const orderHeard = unlearned.filter((h) => (rec.pushes.get(h)?.order ?? 0) > 0).length;
  check('every shopper learned how its holds ended', acked.length > 0 && unlearned.length === 0,
    `${acked.length - unlearned.length} of ${acked.length} acknowledged holds (${[...countBy(acked.map((h) => rec.learned.get(h)?.split(':')[0] ?? 'never'))].map(([k, n]) => `${k} ${n}`).join(', ')}); of the ${unlearned.length} never told, ${reopenedAfter.length} on a socket that (re)subscribed after the hold's expiresAt (its release may have come later still), ${orderHeard} heard their order push${sample(unlearned)}`);

  // 9. the stock ledger balances: one hold row per order, one sale or release once it ended
  const rows = new Map();
  for (const l of ledger) {
    const r = rows.get(l.hold_id) ?? { hold: 0, sale: 0, release: 0, qty: 0 };
    r[l.reason]++;
    if (l.reason === 'hold') r.qty = l.qty;
    rows.set(l.hold_id, r);
  }
  const badLedger = [];
  for (const o of orders) {
    const r = rows.get(o.hold_id) ?? { hold: 0, sale: 0, release: 0, qty: 0 };
    const wantSale = o.status === 'paid' ? 1 : 0;
    const wantRelease = o.status === 'cancelled' ? 1 : 0;
    if (r.hold !== 1 || r.qty !== o.qty || r.sale !== wantSale || r.release !== wantRelease) badLedger.push(`${o.hold_id} ${o.status}: hold ${r.hold} sale ${r.sale} release ${r.release}`);
  }
  const orphan = [...rows.keys()].filter((h) => !status.has(h));
  const sum = (reason) => ledger.filter((l) => l.reason === reason).reduce((n, l) => n + l.qty, 0);
  check('stock ledger balanced', badLedger.length === 0 && orphan.length === 0 && sum('hold') === sum('sale') + sum('release'),
    `units: hold ${sum('hold')}, sale ${sum('sale')} + release ${sum('release')} = ${sum('sale') + sum('release')}; ${badLedger.length} orders without exactly their rows, ${orphan.length} ledger holds without an order${sample([...badLedger, ...orphan], 3)}`);

  // 10. npm run reconcile exits 0
  check('npm run reconcile exits 0', reconcileRun.code === 0, `exit ${reconcileRun.code}${reconcileRun.code === 0 ? '' : `: ${reconcileRun.tail}`}`);

  // 11. the deal opened within 1 s of its second (Postgres state live)
  const d = state.deal;
  const liveLag = d.live_at === null ? null : Number(d.live_at) - Number(d.starts_at);
  check('deal opened within 1 s of its second', liveLag !== null && liveLag <= 1000,
    liveLag === null ? `never live in Postgres (state ${d.state})` : `live in Postgres ${Math.round(liveLag)} ms after its start (opened_at +${Math.round(Number(d.opened_at) - Number(d.starts_at))} ms by the leader's clock)`);

  // 12. no grab answer slower than the Redis outage plus the fail-fast bound
  const lats = [];
  let slowInOutage = 0;
  const bound = outageMs + failFastMs;
  for (const list of rec.answers.values()) {
    for (const a of list) {
      if (a.lat < 0) continue;
      lats.push(a.lat / 1000);
      // sent while Redis was down (or answered after it): the outage's; the rest is load
      const sentAt = a.at - a.lat / 1000;
      if (a.lat / 1000 > bound && outage && sentAt <= outage.backAt && a.at >= outage.killedAt) slowInOutage++;
    }
  }
  lats.sort((a, b) => a - b);
  const q = (p) => (lats.length ? lats[Math.min(lats.length - 1, Math.floor(p * lats.length))] : 0);
  const slow = lats.filter((x) => x > bound).length;
  // when the slow answers arrived (seconds from the first answer) and which: where to look
  const slowWhen = new Map();
  let firstAt = Infinity;
  for (const list of rec.answers.values()) for (const a of list) firstAt = Math.min(firstAt, a.at);
  let slowUnavailable = 0;
  for (const list of rec.answers.values()) {
    for (const a of list) {
      if (a.lat < 0 || a.lat / 1000 <= bound) continue;
      const sec = Math.floor((a.at - firstAt) / 1000);
      slowWhen.set(sec, (slowWhen.get(sec) ?? 0) + 1);
      if (a.code === 'unavailable') slowUnavailable++;
    }
  }
  const when = [...slowWhen].sort(([x], [y]) => x - y).map(([sec, n]) => `+${sec}s ${n}`).join(', ');
  check('no grab answer slower than outage + fail-fast', lats.length > 0 && slow === 0,
    `bound ${outageMs} + ${failFastMs} = ${bound} ms; ${lats.length} answers, p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${(lats.at(-1) ?? 0).toFixed(1)} ms; ${slow} over the bound, ${slowInOutage} of them in flight while Redis was down, ${slowUnavailable} of them \`unavailable\`${when ? `; over the bound by second from the first answer: ${when}` : ''}`);

  return checks;
}
