// Scenario room: the waiting room with 100,000 waiters (6 load processes of the C generator's
// room role, 6 gateways + 1 worker: one process holds at most ~19,900 sockets here), then the
// same crowd's sell-out storm without a room, in the same run on the same engine. Half the
// sockets of each load process hold every frame they send for 60 ms (a slow phone link); the
// figure that matters is the share of units those shoppers win, against their share of the crowd.
// Room on: join rate, "now serving" delivery (the tick's Redis time -> arrival at the waiter),
// time from sold out (Redis) until the last waiter has the notice, gateway RSS per waiter.
// Both: Redis CPU from the opening to the end of the sale. Correctness (every waiter one
// number of 1..N and the sold-out notice, admission within the stock, no unit oversold) is
// checked on every run; --smoke runs 2,000 waiters.
import { cpuMeter, createNamespace, now, redisPid, startEngine } from '../lib/env.mjs';
import { startWsLoad } from '../lib/wsload.mjs';
import { CROWD_ROOM_ENV, openDealAt, runRoomCrowd, seedCrowdDeal } from '../lib/room-crowd.mjs';
import { summarizeHist } from '../lib/stats.mjs';
import { createResults } from '../lib/results.mjs';
import { readFileSync } from 'node:fs';

const DELAY_MS = 60;
// 100,000 sockets: 6 gateways and 6 load processes keep each under the ~19,900 a process may open
const FULL = { waiters: 100_000, stock: 10_000, gateways: 6, loads: 6, outflow: 5_000 };
const SMOKE = { waiters: 2_000, stock: 100, gateways: 2, loads: 2, outflow: 1_000 };

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
const sumRss = (pids) => pids.reduce((n, p) => n + rssBytes(p), 0);

export async function roomScenario(ctx) {
  const { opts, services } = ctx;
  const { waiters, stock, gateways, loads, outflow } = opts.smoke ? SMOKE : FULL;
  const { rows, errors, put, check, checkList } = createResults();
  const ns = await createNamespace(services, CROWD_ROOM_ENV);
  const rPid = await redisPid(ns.redis);
  const engine = await startEngine(ns, { gateways });
  try {
    for (let run = 0; run < opts.runs; run++) {
      // ---- room on
      ctx.log(`room: run ${run + 1}/${opts.runs}: ${waiters} waiters, room on`);
      const rssBefore = sumRss(engine.gatewayPids);
      let meter;
      let rssWaiting = 0;
      const on = await runRoomCrowd(ns, {
        engine, waiters, stock, loads, outflow, delayMs: DELAY_MS, timeoutMs: opts.smoke ? 25_000 : 150_000, log: ctx.log,
        onOpen: () => { rssWaiting = sumRss(engine.gatewayPids); meter = cpuMeter({ redis: rPid }); },
      });
      const redisOn = meter.delta().redis;
      check('room on: every waiter one number of 1..N and the sold-out notice, admission within the stock, none oversold',
        on.failures.length === 0, on.failures.join('; '));
      const f = on.figures;
      const serving = summarizeHist(on.servingLat);
      put('waiters joined per second (PoW solved, ticket answered)', 'room on', Math.round(f.joinsPerSecond));
      put('"serving" delivery p50 ms (tick -> waiter)', 'room on', serving.p50);
      put('"serving" delivery p99 ms (tick -> waiter)', 'room on', serving.p99);
      put('sold out -> last waiter told, ms', 'room on', Math.round(f.soldOutKnownMs));
      put('opening -> sold out, ms', 'room on', Math.round(f.openToSoldOutMs));
      put('gateway RSS per waiter, KB', 'room on', Math.round(((rssWaiting - rssBefore) / waiters / 1024) * 100) / 100);
      put('Redis CPU s, opening -> end of sale', 'room on', redisOn);
      const shareOn = f.held ? f.heldDelayed / f.held : 0;
      put('share of units won by the 60 ms half', 'room on', Math.round(shareOn * 1000) / 1000);
      put('their share of the crowd', 'room on', Math.round((f.delayedWaiters / waiters) * 1000) / 1000);
      ctx.log(`room: on: ${JSON.stringify({ ...f, servingP99: serving.p99, redisOn })}`);

      // ---- room off: the same crowd grabs at the opening
      ctx.log(`room: run ${run + 1}/${opts.runs}: ${waiters} shoppers, room off`);
      const { dealId, festivalId } = await seedCrowdDeal(ns, { stock });
      const tokens = Array.from({ length: waiters }, () => ns.signer.issue().token);
      const urls = engine.ports.map((p) => `ws://127.0.0.1:${p}/ws`);
      const load = await startWsLoad({ tokens, processes: loads, cfg: {
        role: 'storm', urls, deal: dealId, perSocket: 1, spreadMs: 200, window: 1, delayMs: DELAY_MS, delayEvery: 2 } });
      check('room off: every shopper connected', load.failed === 0, `${load.failed} sockets failed to open`);
      const openAt = Date.now() + 1_500;
      await openDealAt(ns, { dealId, festivalId, stock, startsAt: openAt });
      const offMeter = cpuMeter({ redis: rPid });
      const res = await load.run({ at: openAt, timeoutMs: 30_000 });
      const redisOff = offMeter.delta().redis;
      const held = res.storm.held;
      const deal = await ns.stock.readDeal(dealId);
      check('room off: exactly the stock held, none oversold', held.length === stock && deal.available === 0 && deal.held === stock,
        `${held.length} held, Redis ${JSON.stringify({ available: deal.available, held: deal.held })}, stock ${stock}`);
      const heldDelayed = held.filter(([, sock]) => sock % 2 === 1).length;
      put('Redis CPU s, opening -> end of sale', 'room off', redisOff);
      put('share of units won by the 60 ms half', 'room off', Math.round((heldDelayed / Math.max(1, held.length)) * 1000) / 1000);
      put('their share of the crowd', 'room off', Math.round((Math.floor(waiters / loads / 2) * loads / waiters) * 1000) / 1000);
      put('opening -> sold out, ms', 'room off', Math.round(res.storm.lastHeldAt - openAt));
      ctx.log(`room: off: held ${held.length} (${heldDelayed} by the delayed half), refused ${JSON.stringify(res.counts.refused)}, Redis CPU ${redisOff?.toFixed(2)} s; at ${Math.round(now())}`);
    }
  } finally {
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'room',
    title: 'Waiting room: 100,000 waiters, and the sell-out storm with the room on vs off',
    load: `${waiters.toLocaleString('en')} shoppers on their own WebSockets (${loads} load processes of the C generator, `
      + `bench/load/wsload.c + wsload-room.c), ${gateways} gateways + 1 worker; ${stock.toLocaleString('en')} units, limit 1; `
      + `every second socket sends each frame ${DELAY_MS} ms late. Room on: all join before the opening (each solves the door's `
      + `proof of work), the draw numbers them, ${outflow.toLocaleString('en')} admitted/s, admitted ones grab with their pass and pay. `
      + 'Room off: each shopper sends one grab at a random instant in the first 200 ms after the opening.',
    rows, errors, checks: checkList(),
  };
}
