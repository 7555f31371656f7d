// Real scheduler processes for failover tests: `FF_ROLE=scheduler node --import tsx
// server/src/main.ts`, one pid each (no tsx wrapper), so kill -9 and SIGSTOP reach the scheduler
// itself. Their pino lines are kept so a test can ask what a process said about leadership.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Pool } from '../../src/db/pool.ts';
import { readFence } from '../../src/scheduler/fence.ts';
import { waitFor, type TestEnv } from '../helpers/test-env.ts';

export interface SchedulerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** parsed JSON log lines so far */
  readonly logs: Array<{ msg?: string; level?: number; [k: string]: unknown }>;
  alive(): boolean;
  exited(): Promise<void>;
}

export async function spawnScheduler(env: TestEnv, extra: Record<string, string> = {}): Promise<SchedulerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...process.env, ...env.env, FF_ROLE: 'scheduler', LOG_LEVEL: 'info', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: SchedulerProcess['logs'] = [];
  let out = '';
  let buf = '';
  child.stdout!.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      out += `${line}\n`;
      if (line.startsWith('{')) {
        try { logs.push(JSON.parse(line) as SchedulerProcess['logs'][number]); } catch { /* a partial or foreign line */ }
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  await waitFor(() => out.includes('flashfest ready') || !alive(), 'scheduler process ready', 30_000);
  if (!alive()) throw new Error(`scheduler process exited ${child.exitCode ?? child.signalCode}: ${out}`);
  return { pid: child.pid!, child, logs, alive, exited: () => gone };
}

/** The pid of the leader Postgres knows (node ids are `<host>:<pid>:<random>`), and its fence. */
export async function fencedLeader(pool: Pool): Promise<{ pid: number; token: number } | null> {
  const f = await readFence(pool);
  const m = f && /:(\d+):[0-9a-f]+$/.exec(f.leader);
  return m ? { pid: Number(m[1]), token: Number(f.token) } : null;
}

export async function stopAll(procs: SchedulerProcess[]): Promise<void> {
  for (const p of procs) {
    if (!p.alive()) continue;
    p.child.kill('SIGKILL');
    await p.exited();
  }
}

export const said = (p: SchedulerProcess, msg: string) => p.logs.filter((l) => l.msg === msg).length;
