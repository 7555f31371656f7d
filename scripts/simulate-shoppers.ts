// Simulated shoppers, for demos and soak runs: guests on their own WebSockets watch the current
// festival, grab the deals they want at the second those open (plus a human reaction time),
// retry while a deal is not open yet, pay for some holds after thinking it over and let the
// others expire, and report what came of it. It behaves like people, not like a load test:
// bench/ measures speed; this makes the shopper page's ticker, the ops board and the brand
// console move, and leaves real orders, payments and expiries behind.
//
//   npm run simulate -- [--shoppers=200] [--seconds=120] [--url=http://127.0.0.1:8080]
//                       [--want=0.5] [--pay=0.7] [--seed=1]
//
// Sessions are signed with SESSION_SECRET, as the gateway signs them (run it with the engine's
// environment): minting hundreds through POST /api/session would hit its per-address limit.
// It stops by itself after --seconds. Tests import `simulateShoppers`.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { answerHelp } from './services/usage.mjs';
import { loadConfig } from '../server/src/config.ts';
import { SessionSigner } from '../server/src/gateway/session.ts';
import { randomCity } from '../server/src/live/ticker.ts';
import type { DealView, FestivalView, ServerMessage } from '../server/src/shared/protocol.ts';

export interface SimulationOptions {
  /** the engine's HTTP base, e.g. http://127.0.0.1:8080 */
  url: string;
  /** the gateway's SESSION_SECRET */
  sessionSecret: string;
  shoppers: number;
  /** how long the simulation runs, then every socket closes */
  seconds: number;
  /** chance that a shopper wants a given deal */
  want: number;
  /** chance that a shopper pays for a hold (else it lets the hold expire) */
  pay: number;
  /** think time before paying, ms [min, max]; capped to finish within the hold's time */
  thinkMs?: [number, number];
  /** reaction time after a deal opens, ms [min, max] */
  reactionMs?: [number, number];
  /** seeds the choices (who wants what, who pays); timing still depends on the network */
  seed?: number;
  /** a progress line every this many ms (0: none) */
  reportEveryMs?: number;
  log?: (line: string) => void;
}

export interface SimulationReport {
  shoppers: number;
  connected: number;
  grabs: number;
  /** units held, by deal id */
  heldUnits: Record<string, number>;
  holds: number;
  /** refusals by code (retried not_open refusals included) */
  refused: Record<string, number>;
  paid: number;
  payRefused: Record<string, number>;
  expired: number;
  /** holds neither paid nor expired when the run ended (payment or expiry still to come) */
  open: number;
}

const NOT_OPEN_RETRIES = 20;

/** mulberry32: a small seeded PRNG, so a seed repeats the same shoppers' choices */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function simulateShoppers(o: SimulationOptions): Promise<SimulationReport> {
  const random = prng(o.seed ?? 1);
  const between = ([lo, hi]: [number, number]) => lo + random() * (hi - lo);
  const thinkMs = o.thinkMs ?? [2_000, 15_000];
  const reactionMs = o.reactionMs ?? [50, 1_500];
  const log = o.log ?? ((line: string) => console.log(line));
  const report: SimulationReport = {
    shoppers: o.shoppers, connected: 0, grabs: 0, heldUnits: {}, holds: 0, refused: {}, paid: 0, payRefused: {}, expired: 0, open: 0,
  };
  const bump = (m: Record<string, number>, k: string, n = 1) => { m[k] = (m[k] ?? 0) + n; };

  const res = await fetch(`${o.url}/api/festivals/current`).catch((err: Error) => {
    throw new Error(`no engine answers at ${o.url} (${(err.cause as Error | undefined)?.message ?? err.message})`);
  });
  if (!res.ok) throw new Error(`no current festival at ${o.url} (GET /api/festivals/current: ${res.status})`);
  const festival = (await res.json()) as FestivalView;
  const signer = new SessionSigner(o.sessionSecret, Math.ceil(o.seconds) + 600);
  const wsUrl = `${o.url.replace(/^http/, 'ws')}/ws`;
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  const later = (ms: number, fn: () => void) => {
    if (stopping) return;
    const t = setTimeout(() => { timers.delete(t); if (!stopping) fn(); }, Math.max(0, ms));
    timers.add(t);
  };
  const openHolds = new Set<string>();

  /** one shopper: decides once per deal whether it wants it, grabs it when it opens */
  const shopper = (n: number) => new Promise<WebSocket | null>((resolve) => {
    const { token } = signer.issue(Date.now(), undefined, randomCity());
    const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`);
    const decided = new Map<string, boolean>(); // deal -> wants it
    const done = new Set<string>(); // deals this shopper stopped grabbing
    const notOpenTries = new Map<string, number>();
    let serverOffset = 0; // server clock - local clock
    let rid = 0;
    const send = (m: object) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };
    const grab = (dealId: string) => {
      report.grabs++;
      send({ t: 'grab', deal: dealId, qty: 1, rid: `sim${n}-${rid++}` });
    };
    const consider = (deal: DealView) => {
      if (decided.has(deal.id)) return;
      const wants = random() < o.want;
      decided.set(deal.id, wants);
      if (!wants || deal.state === 'sold_out' || deal.state === 'ended' || deal.state === 'stopped' || deal.state === 'cancelled') return;
      // at its opening second, plus a human reaction (already open: a little browsing first)
      const opensIn = deal.startsAt - (Date.now() + serverOffset);
      later(Math.max(opensIn, 0) + between(reactionMs), () => grab(deal.id));
    };
    ws.on('open', () => { report.connected++; send({ t: 'sub', festival: festival.id }); resolve(ws); });
    ws.on('error', () => resolve(null));
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as ServerMessage;
      switch (m.t) {
        case 'hello': serverOffset = m.serverTime - Date.now(); break;
        case 'festival': for (const d of m.festival.deals) consider(d); break;
        case 'deals': for (const d of m.deals) consider(d); break;
        case 'deal': consider(m.deal); break;
        case 'held': {
          report.holds++;
          bump(report.heldUnits, m.deal, m.qty);
          openHolds.add(m.hold);
          if (random() < o.pay) {
            const left = m.expiresAt - (Date.now() + serverOffset);
            later(Math.min(between(thinkMs), left - 1_000), () => send({ t: 'pay', hold: m.hold, rid: `pay${n}-${rid++}` }));
          }
          done.add(m.deal);
          break;
        }
        case 'refused':
          if ('deal' in m) {
            bump(report.refused, m.code);
            const tries = (notOpenTries.get(m.deal) ?? 0) + 1;
            notOpenTries.set(m.deal, tries);
            // early by a clock's margin, or the page's countdown ran ahead: try again shortly
            if ((m.code === 'not_open' || m.code === 'rate_limited') && tries <= NOT_OPEN_RETRIES && !done.has(m.deal)) {
              later(between([150, 400]), () => grab(m.deal));
            } else {
              done.add(m.deal);
            }
          } else if (openHolds.delete(m.hold)) {
            bump(report.payRefused, m.code);
          }
          break;
        // 'paid' comes twice (the pay answer, then the news once Postgres has it): count a hold once
        case 'paid': if (openHolds.delete(m.hold)) report.paid++; break;
        case 'expired': if (openHolds.delete(m.hold)) report.expired++; break;
        default: break;
      }
    });
  });

  log(`simulating ${o.shoppers} shoppers on "${festival.name}" (${festival.deals.length} deals) for ${o.seconds} s`);
  const sockets: WebSocket[] = [];
  // connect in waves, as shoppers arrive, not all in one instant
  for (let i = 0; i < o.shoppers; i += 50) {
    const wave = await Promise.all(Array.from({ length: Math.min(50, o.shoppers - i) }, (_, j) => shopper(i + j)));
    for (const ws of wave) if (ws) sockets.push(ws);
  }
  const progress = o.reportEveryMs ? setInterval(() => log(summary(report, openHolds.size)), o.reportEveryMs) : null;
  await new Promise((r) => setTimeout(r, o.seconds * 1_000));
  stopping = true;
  if (progress) clearInterval(progress);
  for (const t of timers) clearTimeout(t);
  await Promise.all(sockets.map((ws) => new Promise<void>((r) => {
    if (ws.readyState === WebSocket.CLOSED) return r();
    ws.once('close', () => r());
    ws.close(1000);
  })));
  report.open = openHolds.size;
  return report;
}

function summary(r: SimulationReport, open: number): string {
  const units = Object.values(r.heldUnits).reduce((a, b) => a + b, 0);
  const refused = Object.entries(r.refused).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return `${r.connected} connected, ${r.grabs} grabs, ${units} units held, refused: ${refused}; ${r.paid} paid, ${r.expired} expired, ${open} holds open`;
}

/** `--name=value` as a non-negative number, or `fallback` when absent */
function numberOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}

export const SIMULATE_USAGE = `
usage: npm run simulate -- [--shoppers=200] [--seconds=120] [--url=http://127.0.0.1:<PORT>]
                           [--want=0.5] [--pay=0.7] [--seed=1]

Simulated shoppers on their own WebSockets: they watch the current festival, grab the deals they
want at the second those open, pay for some holds and let the others expire, then print a summary.
Run it beside the engine, with its environment: sessions are signed with SESSION_SECRET.

  --shoppers=N   shoppers, each on its own socket (default 200)
  --seconds=S    how long the run lasts, then every socket closes (default 120)
  --url=URL      the engine's HTTP address (default http://127.0.0.1:<PORT>, PORT from the env)
  --want=P       chance 0-1 that a shopper wants a given deal (default 0.5)
  --pay=P        chance 0-1 that a shopper pays for a hold after 2-15 s (default 0.7)
  --seed=N       seeds who wants what and who pays (default 1)
  --help, -h     this text`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  answerHelp(SIMULATE_USAGE);
  try {
    // strict: a misspelt option is an error, not a silent default
    let values: Record<string, string | undefined>;
    try {
      ({ values } = parseArgs({
        options: Object.fromEntries(['url', 'shoppers', 'seconds', 'want', 'pay', 'seed'].map((o) => [o, { type: 'string' as const }])),
      }));
    } catch (err) {
      throw new Error(`${(err as Error).message} (npm run simulate -- --help lists the options)`);
    }
    const config = loadConfig(process.env);
    const opts: SimulationOptions = {
      url: values.url ?? `http://127.0.0.1:${config.port}`, sessionSecret: config.sessionSecret,
      shoppers: Math.floor(numberOption(values, 'shoppers', 200)), seconds: numberOption(values, 'seconds', 120),
      want: Math.min(1, numberOption(values, 'want', 0.5)), pay: Math.min(1, numberOption(values, 'pay', 0.7)),
      seed: numberOption(values, 'seed', 1), reportEveryMs: 5_000,
    };
    if (opts.shoppers < 1) throw new Error('--shoppers must be at least 1');
    const r = await simulateShoppers(opts);
    console.log(`done: ${summary(r, r.open)}`);
    console.log(JSON.stringify(r));
  } catch (err) {
    console.error(`simulate: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
