// The chaos role of bench/load/wsload-chaos.c in Node (`ws`), for machines without a C
// compiler: the same arguments, stdin commands and stdout lines, so shoppers.mjs drives either.
// It costs several times the C generator's CPU per frame, CPU the engine under test then lacks,
// so latency figures from it are worse; the checks mean the same. Plan draws come from its own
// seeded generator: a replay with the same seed repeats this client's plan, not the C one's.
import WebSocket from 'ws';
import { createInterface } from 'node:readline';
import { seededRandom } from './random.mjs';

const arg = (name, d) => { const a = process.argv.find((x) => x.startsWith(`--${name}=`)); return a ? a.slice(name.length + 3) : d; };
const urls = process.argv.slice(2).filter((x) => !x.startsWith('--'));
const deal = arg('deal');
const W = Number(arg('per-socket', '1'));
const ntok = Number(arg('tokens', '0'));
const spreadMs = Number(arg('spread-ms', '1000'));
const firstMs = Number(arg('first-ms', '-1'));
const reconnectMs = Number(arg('reconnect-ms', '200'));
const retryMs = Number(arg('retry-ms', '250'));
const festival = arg('festival');
const random = seededRandom(Number(arg('seed', String(Date.now() & 0x7fffffff))));
const FLIGHT = 1, FINAL = 2, RETRY = 3;

let out = [];
const emit = (line) => { out.push(line); };
const flush = () => { if (out.length) { process.stdout.write(out.join('\n') + '\n'); out = []; } };
setInterval(flush, 5).unref();

const socks = [];
let setup = true;
let plan = [];
let planNext = 0;
let nfinal = 0;
let saidDone = false;
let finishAt = Infinity;
const counts = { sent: 0, answered: 0, held: 0 };

function grabFrame(seq, retry) {
  return `{"t":"grab","deal":"${deal}","qty":1,"rid":"${seq}"${retry ? ',"retry":true' : ''}}`;
}
function sendGrab(s, seq, retry) {
  s.slots[seq] = FLIGHT;
  s.times[seq] = performance.now();
  emit(`g ${s.i} ${seq} ${retry ? 1 : 0} ${Date.now()}`);
  s.ws.send(grabFrame(seq, retry));
}

function open(s) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${urls[s.url]}?token=${encodeURIComponent(s.token)}`);
    s.ws = ws;
    let opened = false;
    ws.on('open', () => { opened = true; s.open = true; if (!setup) reopened(s); resolve(true); });
    ws.on('message', (data, binary) => { if (!binary) onFrame(s, data.toString()); });
    ws.on('error', () => {});
    ws.on('close', () => {
      s.open = false;
      if (!opened) resolve(false);
      if (setup || s.ws !== ws) return;
      if (opened) emit(`l ${s.i} ${Date.now()}`);
      later(s);
    });
  });
}
function later(s) {
  setTimeout(() => { s.url = (s.url + 1) % urls.length; open(s); }, reconnectMs);
}

function reopened(s) {
  emit(`o ${s.i} ${s.url} ${Date.now()}`);
  if (festival) s.ws.send(`{"t":"sub","festival":"${festival}"}`);
  for (let k = 0; k < s.seq; k++) if (s.slots[k] === FLIGHT || s.slots[k] === RETRY) sendGrab(s, k, true);
  for (; s.due > 0; s.due--) sendGrab(s, s.seq++, false);
  const dq = s.dq;
  s.dq = [];
  for (const text of dq) s.ws.send(text);
}

function onFrame(s, text) {
  if (/^\{"t":"(hello|festival|ticker|deal)/.test(text)) return;
  let lat = -1;
  const m = /^\{"t":"(held|refused)".*"rid":"(\d{1,9})"/.exec(text);
  const seq = m ? Number(m[2]) : -1;
  if (m && seq < W && (m[1] === 'held' || text.includes('"deal":"')) && s.slots[seq] === FLIGHT) {
    lat = (performance.now() - s.times[seq]) * 1000;
    counts.answered++;
    if (m[1] === 'refused' && text.includes('"code":"unavailable"')) {
      s.slots[seq] = RETRY;
      // doubling per further `unavailable` of this grab, up to 16x, as the C client
      const delay = retryMs * 2 ** Math.min(s.tries[seq]++, 4);
      setTimeout(() => { if (s.slots[seq] !== RETRY) return; if (s.open) sendGrab(s, seq, true); else s.slots[seq] = FLIGHT; }, delay);
    } else {
      s.slots[seq] = FINAL;
      nfinal++;
      if (m[1] === 'held') counts.held++;
    }
  }
  emit(`f ${s.i} ${Date.now()} ${lat.toFixed(1)} ${text}`);
}

function tick() {
  const now = Date.now();
  while (planNext < plan.length && plan[planNext].t <= now) {
    const s = socks[plan[planNext++].i];
    counts.sent++;
    if (s.open) sendGrab(s, s.seq++, false);
    else s.due++; // sent once it is open again
  }
  if (!saidDone && planNext === plan.length && nfinal >= plan.length) { saidDone = true; emit(`done ${now}`); }
  if (now >= finishAt) finish();
}

function finish() {
  emit(`result ${JSON.stringify({ cpu: process.cpuUsage().user / 1e6, counts: { ...counts, refused: {}, errors: 0, skipped: 0, closed: 0 } })}`);
  flush();
  for (const s of socks) s.ws?.terminate();
  process.exit(0);
}

const rl = createInterface({ input: process.stdin });
rl.on('close', () => process.exit(1));
const tokens = [];
rl.on('line', async (line) => {
  if (tokens.length < ntok) {
    tokens.push(line);
    if (tokens.length === ntok) await start();
    return;
  }
  const [cmd, a, ...rest] = line.split(' ');
  if (cmd === 'go') {
    const at = Number(a);
    finishAt = at + Number(rest[3] ?? 30_000);
    for (const s of socks) {
      if (!s.open) continue;
      for (let k = 0; k < W; k++) plan.push({ t: at + random() * (k === 0 && firstMs >= 0 ? firstMs : spreadMs), i: s.i });
    }
    plan.sort((x, y) => x.t - y.t);
    setInterval(tick, 1);
  } else if (cmd === 'send') {
    const s = socks[Number(a)];
    const text = line.slice(line.indexOf(' ', 5) + 1);
    if (s?.open) s.ws.send(text); else s?.dq.push(text);
  } else if (cmd === 'reopen') {
    const s = socks[Number(a)];
    if (!s?.open) return;
    s.open = false;
    const old = s.ws;
    s.ws = null;
    old.terminate();
    emit(`l ${s.i} ${Date.now()}`);
    later(s);
  } else if (cmd === 'stop') {
    finish();
  }
});

async function start() {
  for (let i = 0; i < tokens.length; i++) socks.push({ i, token: tokens[i], url: i % urls.length, seq: 0, slots: new Uint8Array(W), tries: new Uint8Array(W), times: new Float64Array(W), due: 0, dq: [], open: false, ws: null });
  let opened = 0;
  for (let w = 0; w < socks.length; w += 250) {
    const r = await Promise.all(socks.slice(w, w + 250).map((s) => open(s)));
    opened += r.filter(Boolean).length;
  }
  setup = false;
  emit(`ready ${opened} ${socks.length - opened}`);
  flush();
}
