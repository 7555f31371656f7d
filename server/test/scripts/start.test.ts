// `npm start` as a newcomer runs it: the real npm, scripts/start.mjs and the server, on a free
// port with this file's own Redis prefix and Postgres schema. What the terminal shows, and that
// a signal to any one of its processes stops every one of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clockTime } from '../../../scripts/services/first-opening.mjs';
import { freePort } from '../helpers/private-redis.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** The state letter in /proc/<pid>/stat (R, S, Z, ...); null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return null;
  }
}

/** A zombie has exited; only its parent has not collected it yet. */
const alive = (pid: number) => { const st = procState(pid); return st !== null && st !== 'Z'; };
const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return ''; } };

/** Every live process whose environment carries `marker` (e.g. this run's KEY_PREFIX=...): npm,
 *  its shell, start.mjs, the server, a seed step, wherever they were re-parented. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(marker) && alive(Number(e))) found.push(Number(e));
    } catch { /* gone, or not ours to read */ }
  }
  return found;
}

interface Started {
  npm: ChildProcess;
  port: number;
  logFile: string;
  env: TestEnv;
  out: () => string;
  err: () => string;
  /** the env entry only this run's processes carry */
  marker: string;
  /** npm, its shell, start.mjs and the server, as they run once the server is up */
  pids: { all: number[]; startScript: number; server: number };
  /** both of npm's output pipes closed: every process that held them has exited */
  closed: Promise<void>;
}

const runs: Started[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ff-start-test-'));

/** `ownGroup`: npm leads a process group of its own, as a shell's foreground job does.
 *  `until: 'spawned'`: return as soon as start.mjs has spawned the server, before it is ready. */
async function npmStart({ ownGroup = false, until = 'up' }: { ownGroup?: boolean; until?: 'up' | 'spawned' } = {}): Promise<Started> {
  const env = await createTestEnv();
  const port = await freePort();
  const logFile = path.join(tmp, `server-${port}.log`);
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, ...env.env, PORT: String(port), LOG_LEVEL: 'info', FF_LOG_FILE: logFile },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  let out = '';
  let err = '';
  npm.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  npm.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const closed = Promise.all([
    new Promise((r) => npm.stdout!.on('close', r)), new Promise((r) => npm.stderr!.on('close', r)),
  ]).then(() => undefined);
  const marker = `KEY_PREFIX=${env.config.keyPrefix}`;
  const run: Started = { npm, port, logFile, env, marker, out: () => out, err: () => err, pids: { all: [], startScript: 0, server: 0 }, closed };
  runs.push(run);
  if (until === 'spawned') {
    await waitFor(() => npm.exitCode !== null || /^flashfest: started the server/m.test(out), 'the server to be spawned', 90_000, 20);
    run.pids = { all: processesWith(marker), startScript: 0, server: 0 };
    return run;
  }
  // up as a user sees it: the "up ... open http://..." line (printed once the server is ready,
  // its signal handlers in place), and the page answers
  await waitFor(() => npm.exitCode !== null || /^flashfest: .*\bup\b.*open http/m.test(out), 'npm start to say it is up', 90_000, 100);
  expect(npm.exitCode, `npm start exited early:\n${out}\n${err}`).toBeNull();
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).ok).toBe(true);
  const all = processesWith(marker);
  const startScript = all.find((p) => cmdline(p).includes('scripts/start.mjs') && !cmdline(p).startsWith('sh '))!;
  const server = all.find((p) => cmdline(p).includes('server/src/main.ts'))!;
  expect(startScript, `start.mjs among ${all.map(cmdline).join(' | ')}`).toBeGreaterThan(0);
  expect(server, 'the server among npm start\'s processes').toBeGreaterThan(0);
  run.pids = { all, startScript, server };
  return run;
}

/** Every process of the run has exited (within a graceful stop's time) and the output is complete. */
async function expectAllStopped(run: Started): Promise<void> {
  await waitFor(() => run.pids.all.every((p) => !alive(p)), `every process of npm start to exit (${run.pids.all.join(', ')})`, 30_000, 100);
  await run.closed;
  expect(processesWith(run.marker)).toEqual([]);
  expect(run.out()).toMatch(/^flashfest: stopped$/m);
}

afterEach(async () => {
  for (const run of runs.splice(0)) {
    // whatever a failed test left running: only the processes this test started
    for (const p of processesWith(run.marker)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    await run.env.cleanup();
  }
});

describe('npm start', () => {
  it('prints one "up" line and when the first deal opens; the server\'s JSON log goes to FF_LOG_FILE', async () => {
    const run = await npmStart();
    // the countdown is start.mjs's last line once the server is up
    await waitFor(() => /^flashfest: the first .* open/m.test(run.out()), 'the first opening line', 10_000, 100).catch(() => {});
    const lines = `${run.out()}\n${run.err()}`.split('\n');
    expect(lines.filter((l) => l.trimStart().startsWith('{')), 'JSON on the terminal').toEqual([]);
    expect(lines.filter((l) => /\bready\b/i.test(l))).toEqual([]);
    expect(lines.filter((l) => /^flashfest: up: /.test(l))).toEqual([`flashfest: up: open http://localhost:${run.port}  (Ctrl-C stops it)`]);

    // the countdown from "up", on the server's clock, for the deals the seed scheduled first
    const m = /^flashfest: the first (?:(\d+) deals open|deal opens) in (\d+) s, at (\d\d:\d\d:\d\d): watch the countdown at (\S+)$/m.exec(run.out());
    expect(m, run.out()).not.toBeNull();
    const { rows } = await run.env.pool.query<{ starts_at: Date; n: number }>(
      `SELECT starts_at, count(*)::int AS n FROM deals GROUP BY starts_at ORDER BY starts_at LIMIT 1`);
    expect(m![3]).toBe(clockTime(rows[0]!.starts_at.getTime()));
    expect(Number(m![1] ?? 1)).toBe(rows[0]!.n);
    expect(Number(m![2])).toBeLessThanOrEqual(30); // the seed opens them 30 s after it ran, before the server booted
    expect(m![4]).toBe(`http://localhost:${run.port}`);

    const log = readFileSync(run.logFile, 'utf8').split('\n').filter(Boolean);
    expect(log.some((l) => l.startsWith('{') && JSON.parse(l).msg === 'gateway listening')).toBe(true);
    expect(run.out()).toContain(`its log: ${run.logFile}`);

    process.kill(run.pids.startScript, 'SIGINT');
    await expectAllStopped(run);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to npm\'s own pid stops npm, start.mjs and the server', async (sig) => {
    const run = await npmStart();
    process.kill(run.npm.pid!, sig);
    await expectAllStopped(run);
    // the server stopped gracefully: it logged its stop and exited by itself
    const log = readFileSync(run.logFile, 'utf8');
    expect(log).toMatch(/"msg":"stopping"/);
  });

  it('a Ctrl-C (SIGINT to the foreground process group) stops the server once, gracefully', async () => {
    const run = await npmStart({ ownGroup: true });
    // the terminal signals npm and start.mjs alike, and npm passes its SIGINT on: one press, two signals
    process.kill(-run.npm.pid!, 'SIGINT');
    await expectAllStopped(run);
    const log = readFileSync(run.logFile, 'utf8');
    expect(log).toMatch(/"msg":"stopping"/);
    expect(log).not.toMatch(/second signal/);
    expect(run.out().match(/stopping the server/g)).toHaveLength(1);
  });

  it('a SIGTERM while the server boots stops it gracefully once it has started', async () => {
    const run = await npmStart({ until: 'spawned' });
    process.kill(run.npm.pid!, 'SIGTERM');
    await waitFor(() => processesWith(run.marker).length === 0, 'every process of npm start to exit', 60_000, 100);
    run.pids.all = [];
    await expectAllStopped(run);
    // killed mid-boot, the server would have logged nothing more; stopped, it says so
    expect(readFileSync(run.logFile, 'utf8')).toMatch(/"signal":"SIGTERM","msg":"stopping"/);
    expect(run.out()).not.toMatch(/^flashfest: up:/m);
  });

  it('the server does not outlive a start.mjs killed outright (SIGKILL)', async () => {
    const run = await npmStart();
    process.kill(run.pids.startScript, 'SIGKILL');
    await waitFor(() => run.pids.all.every((p) => !alive(p)), 'every process of npm start to exit', 30_000, 100);
    expect(processesWith(run.marker)).toEqual([]);
  });

  it('SIGTERM to the server\'s pid ends start.mjs and npm too', async () => {
    const run = await npmStart();
    process.kill(run.pids.server, 'SIGTERM');
    await expectAllStopped(run);
    // npm has exited (a zombie counts as gone); its exit event may come a moment later
    const code = run.npm.exitCode ?? await new Promise<number | null>((r) => run.npm.once('exit', (c) => r(c)));
    expect(code, run.out() + run.err()).toBe(0);
  });
});

process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
