// Drives load processes: splits the sockets over processes, starts them all at one instant, and
// merges what they report. Roles grab (without `watch`), storm and sub over the json protocol run
// the C generator (load/wsload.c, via wsload.mjs): the Node client costs several times its CPU
// per grab or snapshot frame on the cores the engine under test shares. Every other role and
// protocol (sio, watch), and these roles when the C generator cannot be built, run
// load/client.mjs.
// BENCH_LOAD=node: always the Node client (to compare the two).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { children } from './env.mjs';
import { asLoad, tokenSlices } from './load-fleet.mjs';
import { startWsLoad } from './wsload.mjs';

const CLIENT = fileURLToPath(new URL('../load/client.mjs', import.meta.url));
const PER_PROCESS_MAX = 19_000; // open-file limit 20,000 per process

export function processesFor(sockets, wanted = 2) {
  return Math.max(wanted, Math.ceil(sockets / PER_PROCESS_MAX));
}

/**
 * Opens `tokens.length` sockets over `processes` load processes. Returns { opened, failed, run(goMsg) }:
 * run sends "go" (starting `startInMs` from now, or at goMsg.at) and resolves with the merged result.
 */
export async function startLoad({ tokens, processes = 2, cfg }) {
  if (((cfg.role === 'grab' && !cfg.watch) || cfg.role === 'storm' || cfg.role === 'sub') && cfg.protocol === 'json' && process.env.BENCH_LOAD !== 'node') {
    const c = await startWsLoad({ tokens, processes, cfg });
    if (c) return c;
  }
  const kids = [];
  const readies = [];
  for (const slice of tokenSlices(tokens, processes)) {
    const child = fork(CLIENT, [], { serialization: 'advanced', execArgv: ['--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const kid = {
      child, resultP: null,
      exited: new Promise((r) => child.once('exit', r)),
      go: (goMsg) => child.send({ cmd: 'go', ...goMsg }),
    };
    kid.resultP = new Promise((resolve, reject) => {
      child.on('message', (m) => { if (m.ev === 'result') resolve(m); });
      child.once('exit', (code) => reject(new Error(`load process exited ${code} before reporting`)));
    });
    kid.resultP.catch(() => {});
    readies.push(new Promise((resolve, reject) => {
      child.on('message', (m) => {
        if (m.ev === 'ready') resolve(m);
        else if (m.ev === 'fatal') reject(new Error(m.error));
      });
      child.once('exit', (code) => reject(new Error(`load process exited ${code} during set-up`)));
    }));
    // per-process share of an open-loop rate
    const own = { ...cfg, tokens: slice, ...(cfg.rate !== undefined ? { rate: cfg.rate / processes } : {}) };
    child.send({ cmd: 'init', cfg: own });
    kids.push(kid);
  }
  return asLoad(kids, readies);
}
