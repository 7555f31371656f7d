// A real worker process (main.ts, FF_ROLE=worker) in a test's Redis prefix and Postgres schema,
// for tests that kill one with kill -9 in the middle of a job.
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor, type TestEnv } from './test-env.ts';

export async function spawnWorkerProcess(env: TestEnv): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...process.env, ...env.env, FF_ROLE: 'worker', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  c.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  c.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  await waitFor(() => out.includes('flashfest ready') || c.exitCode !== null, 'worker process ready', 30_000);
  if (c.exitCode !== null) throw new Error(`worker process exited ${c.exitCode}: ${out}`);
  return c;
}

function exited(c: ChildProcess): Promise<void> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
}

/** kill -9, unless it is gone already; resolves once it has exited. */
export async function killWorkerProcess(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGKILL');
  await exited(c);
}

/** Waits until some Postgres session waits on a lock the session with backend pid `holder`
 *  holds: a worker caught inside its job. */
export async function waitUntilBlockedBehind(env: TestEnv, holder: number, what: string): Promise<void> {
  await waitFor(async () => {
    const { rows: [r] } = await env.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [holder]);
    return r!.n > 0;
  }, what, 20_000, 20);
}
