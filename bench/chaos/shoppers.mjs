// The shoppers: the C load generator's chaos role (bench/load/wsload-chaos.c; node-load.mjs
// where it cannot be built, or with CHAOS_LOAD=node) opens one socket
// per shopper over both gateways and sends the storm; its sockets reconnect to the other
// gateway when theirs dies and resend every unanswered grab with the same rid and
// `retry: true`. This side reads every frame they receive, pays some holds (after a think time
// inside the hold) and lets the others expire, resends payments lost with a socket, and at the
// end resends some already-answered rids on fresh sockets. Everything seen is kept for the
// checker in `rec`.
import { spawn } from 'node:child_process';
import { ROOT, children } from '../lib/env.mjs';
import { seededRandom } from './random.mjs';
import { onLines } from '../lib/lines.mjs';

/** A stable draw in [0, 1) for one shopper's one grab: the same on a replay. */
function drawFor(seed, ...parts) {
  let h = 2166136261 ^ Number(seed);
  for (const ch of parts.join(':')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return seededRandom(h >>> 0);
}

export function newRecord() {
  return {
    sends: new Map(),    // grab key "p:i:seq" -> [{ at, retry }] as written by the generator
    answers: new Map(),  // grab key -> [{ at, lat, t, hold, code, viaResend }] in arrival order
    resent: new Map(),   // grab key -> instant this side resent an answered rid on a new socket
    pays: new Map(),     // hold -> { key, sends: [at], answers: [{ at, t, code }] }
    pushes: new Map(),   // hold -> { order, paid, expired } pushes received
    learned: new Map(),  // hold -> how its shopper learned it ended: paid / expired push, pay answer, holds frame
    opens: new Map(),    // "p:i" -> last instant that socket (re)opened after set-up
    lost: 0, reopened: 0, frames: 0, doneAt: [], results: [],
  };
}

export async function startShoppers({ bin, urls, shoppers, processes, dealId, festivalId, grabsPer, seed, firstMs, spreadMs, timeoutMs, holdMs, payShare, log }) {
  const rec = newRecord();
  const per = Math.ceil(shoppers.length / processes);
  const kids = [];
  for (let p = 0; p * per < shoppers.length; p++) {
    const slice = shoppers.slice(p * per, (p + 1) * per);
    const args = ['--chaos', `--deal=${dealId}`, `--window=${grabsPer}`, `--tokens=${slice.length}`, `--per-socket=${grabsPer}`,
      `--spread-ms=${spreadMs}`, `--first-ms=${firstMs}`, `--seed=${Number(seed) + p}`, '--reconnect-ms=200', '--retry-ms=250', `--festival=${festivalId}`, ...urls];
    const child = spawn(bin[0], [...bin.slice(1), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stdin.on('error', () => {});
    const kid = { p, child, slice, ready: null, result: null, done: null };
    let onReady, onFail, onResult, onDone;
    kid.ready = new Promise((res, rej) => { onReady = res; onFail = rej; });
    kid.result = new Promise((res) => { onResult = res; });
    kid.done = new Promise((res) => { onDone = res; });
    child.once('close', (code) => { onFail(new Error(`wsload (chaos) exited ${code}`)); onResult(null); });
    onLines(child.stdout, (line) => onLine(kid, line, { onReady, onFail, onResult, onDone }));
    child.stdin.write(slice.map((s) => s.token).join('\n') + '\n');
    kids.push(kid);
  }
  const send = (p, line) => { const c = kids[p].child; if (c.exitCode === null) c.stdin.write(line + '\n'); };

  function onLine(kid, line, cb) {
    const p = kid.p;
    const sp = line.indexOf(' ');
    const kind = sp < 0 ? line : line.slice(0, sp);
    if (kind === 'f') {
      // f <socket> <at> <latency us> <frame>
      const m = /^f (\d+) ([\d.]+) (-?[\d.]+) (.*)$/.exec(line);
      if (!m) return;
      rec.frames++;
      onFrame(p, Number(m[1]), Number(m[2]), Number(m[3]), JSON.parse(m[4]));
    } else if (kind === 'g') {
      const [, i, seq, retry, at] = line.split(' ');
      const key = `${p}:${i}:${seq}`;
      if (!rec.sends.has(key)) rec.sends.set(key, []);
      rec.sends.get(key).push({ at: Number(at), retry: retry === '1' });
    } else if (kind === 'l') {
      rec.lost++;
      const i = Number(line.split(' ')[1]);
      // payments in flight on a lost socket: sent again, with the same rid, once it reopens
      for (const [hold, pay] of rec.pays) if (pay.p === p && pay.i === i && !pay.final) sendPay(hold);
    } else if (kind === 'o') {
      rec.reopened++;
      const [, i, , at] = line.split(' ');
      rec.opens.set(`${p}:${i}`, Number(at));
    } else if (kind === 'done') {
      rec.doneAt[p] = Number(line.split(' ')[1]);
      cb.onDone(rec.doneAt[p]);
    } else if (kind === 'ready') {
      const [, opened, failed] = line.split(' ');
      cb.onReady({ opened: Number(opened), failed: Number(failed) });
    } else if (kind === 'result') {
      const r = JSON.parse(line.slice(7));
      rec.results[p] = r;
      cb.onResult(r);
    } else if (kind === 'fatal') {
      cb.onFail(new Error(`wsload: ${line.slice(6)}`));
    }
  }

  function onFrame(p, i, at, lat, msg) {
    if ((msg.t === 'held' || msg.t === 'refused') && msg.deal !== undefined && /^\d+$/.test(msg.rid ?? '')) {
      const key = `${p}:${i}:${msg.rid}`;
      if (!rec.answers.has(key)) rec.answers.set(key, []);
      const list = rec.answers.get(key);
      list.push({ at, lat, t: msg.t, hold: msg.hold ?? null, code: msg.code ?? null, viaResend: rec.resent.has(key) });
      if (msg.t === 'held' && !list.slice(0, -1).some((a) => a.t === 'held')) maybePay(p, i, msg.rid, msg.hold, msg.expiresAt, key);
      return;
    }
    if (msg.t === 'holds') {
      for (const h of msg.holds ?? []) if (h.status === 'paid' || h.status === 'cancelled') rec.learned.set(h.hold, `holds frame: ${h.status}`);
      return;
    }
    if (msg.hold === undefined) return;
    if (msg.t === 'order' || msg.t === 'expired' || (msg.t === 'paid' && msg.rid === undefined)) {
      const push = rec.pushes.get(msg.hold) ?? { order: 0, paid: 0, expired: 0 };
      push[msg.t]++;
      rec.pushes.set(msg.hold, push);
      if (msg.t !== 'order') rec.learned.set(msg.hold, `${msg.t} push`);
      return;
    }
    const pay = rec.pays.get(msg.hold);
    if (!pay || !(msg.t === 'paid' || msg.t === 'refused')) return;
    pay.answers.push({ at, t: msg.t, code: msg.code ?? null });
    if (msg.t === 'paid') rec.learned.set(msg.hold, 'pay answer');
    // backing off as the grabs do (bench/load/wsload-chaos.c)
    if (msg.t === 'refused' && msg.code === 'unavailable' && at < pay.expiresAt) setTimeout(() => sendPay(msg.hold), 300 * 2 ** Math.min(pay.answers.length - 1, 4));
    else pay.final = true;
  }

  function maybePay(p, i, rid, hold, expiresAt, key) {
    const r = drawFor(seed, 'pay', key);
    if (r() >= payShare) return;
    // a think time well inside the hold: a refusal is then the engine's doing, not the shopper's
    const delay = 200 + r() * holdMs * 0.3;
    rec.pays.set(hold, { p, i, rid, key, sends: [], answers: [], final: false, expiresAt: Number(expiresAt) || Date.now() + holdMs });
    setTimeout(() => sendPay(hold), delay);
  }

  function sendPay(hold) {
    const pay = rec.pays.get(hold);
    if (!pay || pay.final) return;
    pay.sends.push(Date.now());
    send(pay.p, `send ${pay.i} {"t":"pay","hold":"${hold}","rid":"pay-${pay.rid}"}`);
  }

  const readies = await Promise.allSettled(kids.map((k) => k.ready));
  const failedStart = readies.find((r) => r.status === 'rejected');
  if (failedStart) { for (const k of kids) k.child.kill('SIGKILL'); throw failedStart.reason; }
  const opened = readies.reduce((n, r) => n + r.value.opened, 0);
  const failed = readies.reduce((n, r) => n + r.value.failed, 0);

  return {
    rec, opened, failed, processes: kids.length,
    go(openAt) { for (const k of kids) send(k.p, `go ${openAt} 0 0 0 ${timeoutMs}`); },
    /** every planned grab has a final answer, in every load process */
    allDone: () => Promise.all(kids.map((k) => k.done)),
    /**
     * Resends `count` rids already answered (held or limit_reached: answers Redis decided) on a
     * fresh socket to the other gateway, with the same rid and `retry: true`.
     */
    resendAnswered(count) {
      const r = seededRandom(Number(seed) ^ 0x5eed);
      const pool = [...rec.answers].filter(([, a]) => a.some((x) => x.t === 'held' || x.code === 'limit_reached')).map(([k]) => k).sort();
      const picked = new Set();
      while (picked.size < Math.min(count, pool.length)) picked.add(pool[Math.floor(r() * pool.length)]);
      const bySocket = new Map();
      for (const key of picked) {
        const [p, i, seq] = key.split(':');
        const s = `${p}:${i}`;
        if (!bySocket.has(s)) bySocket.set(s, []);
        bySocket.get(s).push(seq);
      }
      for (const [s, seqs] of bySocket) {
        const [p, i] = s.split(':').map(Number);
        send(p, `reopen ${i}`);
        for (const seq of seqs) {
          rec.resent.set(`${p}:${i}:${seq}`, Date.now());
          send(p, `send ${i} {"t":"grab","deal":"${dealId}","qty":1,"rid":"${seq}","retry":true}`);
        }
      }
      return picked.size;
    },
    async stop() {
      for (const k of kids) send(k.p, 'stop');
      await Promise.all(kids.map((k) => k.result));
      return rec;
    },
    kill() { for (const k of kids) if (k.child.exitCode === null) k.child.kill('SIGKILL'); },
  };
}
