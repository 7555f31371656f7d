// One load process (forked by the bench; at most ~19,900 sockets per process here). It opens
// its sockets, waits for "go", drives them, and reports counts and latency histograms over IPC.
// Roles:
//   grab   every socket grabs one deal: closed loop (`window` grabs in flight per socket) or
//          open loop at `rate` grabs/s for the whole process
//   storm  every socket sends `perSocket` grabs at random instants in [at, at + spreadMs)
//   sub    every socket subscribes to a festival and records when each deal snapshot arrives
// Protocols: `json` (flashfest's wire format over a raw WebSocket, also spoken by baseline a),
// `sio` (socket.io with acks, baseline b).
import WebSocket from 'ws';
import { io as sioConnect } from 'socket.io-client';
import { newHistogram, record } from '../lib/stats.mjs';

// Epoch ms with sub-ms steps. Not performance.timeOrigin: here it was seconds off Date.now(),
// and processes must agree on instants (the storm's opening second).
const EPOCH = Date.now() - performance.now();
const now = () => EPOCH + performance.now();
let cfg;
const socks = [];
const lat = newHistogram();
const counts = { sent: 0, answered: 0, held: 0, refused: {}, errors: 0, skipped: 0, closed: 0 };
let measuring = false;
let latencyWindow = [Infinity, Infinity]; // [from, to): send times whose latency is recorded
let running = false;
let times; // send times, socket i slot j at i*W + j
let W = 1;
const storm = { held: [], firstAt: Infinity, lastHeldAt: 0, lastAt: 0 };
const snaps = new Map(); // snapshot seq -> { min, max, n } arrival times
const snapLat = newHistogram(); // publish (`at`) -> arrival
const watch = { pending: [], hist: newHistogram(), count: 0 };

process.on('message', (m) => {
  if (m.cmd === 'init') init(m.cfg).catch((err) => { process.send({ ev: 'fatal', error: String(err?.stack ?? err) }); });
  else if (m.cmd === 'go') go(m);
  else if (m.cmd === 'stop') finish();
});

async function init(c) {
  cfg = c;
  W = cfg.window ?? 1;
  times = new Float64Array(cfg.tokens.length * W);
  let failed = 0;
  const WAVE = 250;
  for (let i = 0; i < cfg.tokens.length; i += WAVE) {
    const wave = cfg.tokens.slice(i, i + WAVE).map((t, j) => open(i + j, t).catch(() => { failed++; }));
    await Promise.all(wave);
  }
  process.send({ ev: 'ready', opened: socks.filter(Boolean).length, failed });
}

function open(i, token) {
  return new Promise((resolve, reject) => {
    const url = cfg.urls[i % cfg.urls.length];
    if (cfg.protocol === 'sio') {
      const s = sioConnect(url, { transports: ['websocket'], auth: { token }, reconnection: false, timeout: 20_000 });
      const sock = { i, seq: 0, out: 0, due: 0, s, send: null };
      sock.send = (rid) => s.emit('grab', { deal: cfg.deal, qty: 1, rid }, (ans) => onAnswer(sock, ans.t === 'held', ans.rid, ans.code, ans.hold));
      s.once('connect', () => { socks[i] = sock; resolve(); });
      s.once('connect_error', reject);
      s.on('disconnect', () => { counts.closed++; });
      return;
    }
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const prefix = `{"t":"grab","deal":"${cfg.deal}","qty":1,"rid":"`;
    const sock = { i, seq: 0, out: 0, due: 0, ws, send: (rid) => ws.send(prefix + rid + '"}') };
    ws.on('message', (data) => onFrame(sock, data.toString()));
    ws.once('open', () => {
      socks[i] = sock;
      if (cfg.role === 'sub' || (cfg.watch && i === 0)) ws.send(`{"t":"sub","festival":"${cfg.festival}"}`);
      resolve();
    });
    ws.once('error', reject);
    ws.on('close', () => { counts.closed++; });
  });
}

function onFrame(sock, text) {
  if (text.startsWith('{"t":"deal')) return onSnapshot(sock, text); // "deals" (festival) and "deal"
  const r = text.indexOf('"rid":"');
  if (r < 0 || !(text.startsWith('{"t":"held"') || text.startsWith('{"t":"refused"'))) return;
  const rid = text.slice(r + 7, text.indexOf('"', r + 7));
  const held = text.charCodeAt(6) === 104; // 'h'
  let code, hold;
  if (!held) {
    const c = text.indexOf('"code":"');
    code = c < 0 ? '?' : text.slice(c + 8, text.indexOf('"', c + 8));
  } else {
    const h = text.indexOf('"hold":"');
    hold = text.slice(h + 8, text.indexOf('"', h + 8));
  }
  onAnswer(sock, held, rid, code, hold);
}

function onAnswer(sock, held, rid, code, hold) {
  const t = now();
  const seq = Number(rid);
  sock.out--;
  counts.answered++;
  const sent = times[sock.i * W + (seq % W)];
  // latency of the grabs SENT in the measured window (answers may land in the drain): a grab
  // sent in the warm-up measures the warm-up
  if (sent >= latencyWindow[0] && sent < latencyWindow[1]) record(lat, t - sent);
  if (measuring) {
    if (held) counts.held++;
    else counts.refused[code] = (counts.refused[code] ?? 0) + 1;
  }
  if (cfg.role === 'storm') {
    if (held) { storm.held.push([sock.i, hold]); storm.lastHeldAt = Math.max(storm.lastHeldAt, t); }
    storm.lastAt = Math.max(storm.lastAt, t);
    return;
  }
  if (held && cfg.watch) watch.pending.push([Number(hold.slice(hold.indexOf('-') + 1)), t]);
  if (running && cfg.rate === undefined) later(sock);
}

// Closed loop: the next grabs of every socket answered in this turn go out after it, one write
// per socket (corked), as a browser's event loop would batch them; it keeps the load
// generator's own CPU per grab down on a machine it shares with the servers.
let due = [];
function later(sock) {
  if (sock.due++ === 0) due.push(sock);
  if (due.length === 1 && sock.due === 1) setImmediate(flushDue);
}
function flushDue() {
  const list = due;
  due = [];
  for (const sock of list) {
    const n = sock.due;
    sock.due = 0;
    const raw = sock.ws?._socket;
    if (raw && n > 1) raw.cork();
    for (let k = 0; k < n && running; k++) sendGrab(sock);
    if (raw && n > 1) raw.uncork();
  }
}

function sendGrab(sock) {
  const seq = sock.seq++;
  times[sock.i * W + (seq % W)] = now();
  sock.out++;
  counts.sent++;
  sock.send(String(seq));
}

function onSnapshot(sock, text) {
  const t = now();
  if (cfg.watch && sock.i === 0) {
    // which holds does this snapshot show? held + sold counts every hold so far (no expiries here)
    const m = /"held":(\d+),"sold":(\d+)/.exec(text) ?? /"held":(\d+).*?"sold":(\d+)/.exec(text);
    if (m) {
      const shown = Number(m[1]) + Number(m[2]);
      const rest = [];
      for (const p of watch.pending) {
        if (p[0] <= shown) { record(watch.hist, t - p[1]); watch.count++; } else rest.push(p);
      }
      watch.pending = rest;
    }
  }
  if (cfg.role !== 'sub' || !measuring) return;
  // {"t":"deals","festival":..,"seq":N,"at":<publish ms>,...}: the same seq reaches every subscriber
  const seq = /"seq":(\d+)/.exec(text)?.[1];
  const at = Number(/"at":([\d.]+)/.exec(text)?.[1]);
  if (seq === undefined) return;
  if (Number.isFinite(at)) record(snapLat, t - at);
  let s = snaps.get(seq);
  if (!s) snaps.set(seq, (s = { min: t, max: t, n: 0 }));
  if (t < s.min) s.min = t;
  if (t > s.max) s.max = t;
  s.n++;
}

// CPU from "go" on: opening thousands of sockets (handshakes, session checks) is set-up, not load
let cpuAtGo;
function go(m) {
  cpuAtGo = process.cpuUsage();
  const start = m.at;
  const wait = Math.max(0, start - now());
  setTimeout(() => {
    running = true;
    if (cfg.role === 'storm') return runStorm(m);
    const from = now() + (m.warmupMs ?? 0);
    latencyWindow = [from, from + m.durationMs];
    setTimeout(() => { measuring = true; }, m.warmupMs ?? 0);
    setTimeout(() => { measuring = false; running = false; setTimeout(finish, m.drainMs ?? 1_000); }, (m.warmupMs ?? 0) + m.durationMs);
    if (cfg.role === 'sub') return;
    if (cfg.rate === undefined) {
      for (const s of socks) if (s) for (let k = 0; k < W; k++) sendGrab(s);
    } else {
      const t0 = now();
      let next = 0;
      const tick = () => {
        if (!running) return;
        const due = Math.floor(((now() - t0) / 1000) * cfg.rate);
        while (counts.sent + counts.skipped < due) {
          const s = socks[next++ % socks.length];
          if (s && s.out < W) sendGrab(s); else counts.skipped++;
        }
        setTimeout(tick, 1);
      };
      tick();
    }
  }, wait);
}

function runStorm(m) {
  measuring = true;
  latencyWindow = [-Infinity, Infinity];
  const plan = [];
  for (const s of socks) if (s) for (let k = 0; k < cfg.perSocket; k++) plan.push([Math.random() * cfg.spreadMs, s]);
  plan.sort((a, b) => a[0] - b[0]);
  const t0 = m.at;
  let idx = 0;
  const tick = () => {
    const el = now() - t0;
    while (idx < plan.length && plan[idx][0] <= el) sendGrab(plan[idx++][1]);
    if (idx < plan.length) setImmediate(tick);
  };
  tick();
  const check = setInterval(() => {
    if (idx >= plan.length && counts.answered >= counts.sent) { clearInterval(check); finish(); }
  }, 20);
  setTimeout(() => { clearInterval(check); finish(); }, m.timeoutMs ?? 30_000);
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  running = false;
  const snapshots = [];
  for (const [seq, s] of snaps) snapshots.push([seq, s.min, s.max, s.n]);
  const cpu = process.cpuUsage(cpuAtGo);
  const msg = { ev: 'result', cpu: (cpu.user + cpu.system) / 1e6, counts, lat, snapshots, snapLat, watch: { hist: watch.hist, count: watch.count }, storm };
  process.send(msg, () => {
    for (const s of socks) { if (!s) continue; if (s.ws) s.ws.terminate(); else s.s.disconnect(); }
    setTimeout(() => process.exit(0), 200);
  });
}
