// The nemesis: kill -9 of a gateway, a worker, the leader scheduler and Redis, at instants drawn
// from the seed relative to the deal's opening second, so a failing run can be replayed with
// the same schedule. Killed engine processes are started again a little later (a supervisor
// would); Redis restarts on its append-only file after the outage.
import { currentLeader } from './cluster.mjs';

export const FAULTS = ['gateway', 'worker', 'leader', 'redis'];

/** A small seeded generator (mulberry32): the same seed, the same draws. */
export function seededRandom(seed) {
  let a = (Number(seed) >>> 0) || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    redis: between(Math.max(1000, stormMs * 0.2), Math.max(1500, stormMs * 0.35)),
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

/**
 * Runs the plan against the cluster from `openAt` (epoch ms). Resolves once every fault has
 * fired and every victim is back, with what happened (epoch ms instants). `log(line)` reports.
 */
export function runNemesis({ plan, openAt, cluster, engine, log }) {
  const events = [];
  const all = plan.map((p) => new Promise((resolve) => {
    setTimeout(() => fire(p).then(resolve, (err) => { log(`nemesis: ${p.fault} failed: ${err.message}`); resolve(); }), Math.max(0, openAt + p.at - Date.now()));
  }));

  async function fire(p) {
    const ev = { ...p, killedAt: null, backAt: null, victim: null };
    events.push(ev);
    if (p.fault === 'redis') {
      ev.victim = `redis-server pid ${cluster.privateRedis.pid}`;
      await cluster.privateRedis.kill();
      ev.killedAt = Date.now();
      log(`nemesis: kill -9 ${ev.victim} at ${rel(ev.killedAt)}`);
      await sleep(p.downMs);
      await cluster.privateRedis.restart();
      ev.backAt = Date.now();
      log(`nemesis: redis-server restarted on its AOF (pid ${cluster.privateRedis.pid}) at ${rel(ev.backAt)}, down ${ev.backAt - ev.killedAt} ms`);
      return;
    }
    const proc = p.fault === 'leader' ? await currentLeader(cluster, engine) : engine.all.find((x) => x.name === p.target);
    if (!proc || !proc.alive) { log(`nemesis: no ${p.target} to kill at ${rel(Date.now())}`); return; }
    ev.victim = `${proc.name} pid ${proc.pid}`;
    await proc.kill9();
    ev.killedAt = Date.now();
    log(`nemesis: kill -9 ${ev.victim}${p.fault === 'leader' ? ' (the leader)' : ''} at ${rel(ev.killedAt)}`);
    await sleep(p.downMs);
    await proc.start();
    ev.backAt = Date.now();
    log(`nemesis: ${proc.name} started again (pid ${proc.pid}) at ${rel(ev.backAt)}`);
  }
  const rel = (t) => `${t - openAt >= 0 ? '+' : ''}${t - openAt} ms`;
  return { done: Promise.all(all).then(() => events), events };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
