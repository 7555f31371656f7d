// The nemesis: kill -9 of a gateway, a worker, the leader scheduler and Redis, at instants drawn
// from the seed relative to the deal's opening second, so a failing run can be replayed with
// the same schedule. Killed engine processes are started again a little later (a supervisor
// would); Redis restarts on its append-only file after the outage.
import { Worker } from 'node:worker_threads';
import { currentLeader } from './cluster.mjs';
import { seededRandom } from './random.mjs';

export const FAULTS = ['gateway', 'worker', 'leader', 'redis'];

/**
 * The schedule, in ms from the opening second. The leader dies just before the opening (the
 * standby must open the deal on time); a gateway while the first wave of grabs is in flight; a
 * worker while order batches are being written; Redis mid-storm for `outageMs`.
 */
export function planFaults({ seed, faults, stormMs, restartMs, outageMs }) {
  const r = seededRandom(seed);
  const between = (a, b) => Math.round(a + r() * (b - a));
  const plan = [];
  const at = {
    leader: between(-800, -200),
    gateway: between(Math.max(150, stormMs * 0.05), Math.max(400, stormMs * 0.15)),
    worker: between(Math.max(400, stormMs * 0.08), Math.max(800, stormMs * 0.18)),
    redis: between(Math.max(1000, stormMs * 0.12), Math.max(1500, stormMs * 0.2)),
  };
  const which = { gateway: r() < 0.5 ? 0 : 1, worker: r() < 0.5 ? 0 : 1 };
  const outage = outageMs ?? between(1000, 2000);
  for (const f of FAULTS) {
    if (!faults.includes(f)) continue;
    plan.push({
      fault: f, at: at[f], target: f === 'redis' ? 'redis' : f === 'leader' ? 'leader' : `${f}-${which[f]}`,
      downMs: f === 'redis' ? outage : restartMs,
    });
  }
  return plan.sort((a, b) => a.at - b.at);
}

// The kills themselves fire from a thread of their own: this process' event loop reads every
// frame the shoppers receive and was seen stalling for over a second at the opening, which made
// faults strike that much later than planned. Restarts can wait; kills cannot.
const KILLER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ index, at, pid }) => {
  setTimeout(() => {
    let err = null;
    try { process.kill(pid, 'SIGKILL'); } catch (e) { err = e.message; }
    parentPort.postMessage({ index, killedAt: Date.now(), err });
  }, Math.max(0, at - Date.now()));
});`;

/**
 * Runs the plan against the cluster from `openAt` (epoch ms). Resolves once every fault has
 * fired and every victim is back, with what happened (epoch ms instants). `log(line)` reports.
 * The leader is the one leading when this is called (just before the opening).
 */
export async function runNemesis({ plan, openAt, cluster, engine, log }) {
  const events = [];
  const killer = new Worker(KILLER, { eval: true });
  const killed = new Map();
  killer.on('message', (m) => killed.get(m.index)?.(m));
  const leader = await currentLeader(cluster, engine);
  const all = plan.map((p, index) => fire(p, index).catch((err) => log(`nemesis: ${p.fault} failed: ${err.message}`)));

  async function fire(p, index) {
    const ev = { ...p, killedAt: null, backAt: null, victim: null };
    events.push(ev);
    const proc = p.fault === 'redis' ? null : p.fault === 'leader' ? leader : engine.all.find((x) => x.name === p.target);
    const pid = p.fault === 'redis' ? cluster.privateRedis.pid : proc?.pid;
    if (!pid || (proc && !proc.alive)) { log(`nemesis: no ${p.target} to kill`); return; }
    ev.victim = p.fault === 'redis' ? `redis-server pid ${pid}` : `${proc.name} pid ${pid}`;
    const m = await new Promise((resolve) => { killed.set(index, resolve); killer.postMessage({ index, at: openAt + p.at, pid }); });
    ev.killedAt = m.killedAt;
    log(`nemesis: kill -9 ${ev.victim}${p.fault === 'leader' ? ' (the leader)' : ''} at ${rel(ev.killedAt)}${m.err ? ` (${m.err})` : ''}`);
    if (p.fault === 'redis') {
      await cluster.privateRedis.kill(); // reaps the child the thread killed
      await sleep(Math.max(0, ev.killedAt + p.downMs - Date.now()));
      await cluster.privateRedis.restart();
      ev.backAt = Date.now();
      log(`nemesis: redis-server restarted on its AOF (pid ${cluster.privateRedis.pid}) at ${rel(ev.backAt)}, down ${ev.backAt - ev.killedAt} ms`);
      return;
    }
    await proc.kill9();
    await sleep(Math.max(0, ev.killedAt + p.downMs - Date.now()));
    await proc.start();
    ev.backAt = Date.now();
    log(`nemesis: ${proc.name} started again (pid ${proc.pid}) at ${rel(ev.backAt)}`);
  }
  const rel = (t) => `${t - openAt >= 0 ? '+' : ''}${t - openAt} ms`;
  return { done: Promise.all(all).then(async () => { await killer.terminate(); return events; }), events, leader };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
