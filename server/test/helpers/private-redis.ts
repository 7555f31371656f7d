// A redis-server of a test's own, on a free port in a temporary directory: for what must not
// happen to the shared Redis (kill -9, a stop and restart on its append-only file, a pause).
// Stopped (and its directory removed) by `stop()`; only this process's own child is ever killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  /** pid of the running redis-server (changes on restart) */
  readonly pid: number;
  /** kill -9: no shutdown save, connections reset */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets open but answers nothing */
  pause(): void;
  resume(): void;
  /** starts it again on the same port and directory (AOF replayed when on) */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** append-only file with fsync every second, as a production Redis would run */
  aof?: boolean;
  /** extra redis-server arguments */
  args?: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ff-redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', opts.aof ? 'yes' : 'no', '--appendfsync', 'everysec',
    '--daemonize', 'no', '--loglevel', 'warning', '--logfile', path.join(dir, 'redis.log'),
    ...(opts.args ?? []),
  ];
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    child = c;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${c.exitCode} (log: ${dir}/redis.log)`);
      if (await ping(port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const exit = (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };

  await launch();
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    get pid() { return child?.pid ?? -1; },
    kill: () => exit('SIGKILL'),
    pause: () => { child?.kill('SIGSTOP'); },
    resume: () => { child?.kill('SIGCONT'); },
    restart: async () => { await exit('SIGKILL'); await launch(); },
    stop: async () => {
      child?.kill('SIGCONT');
      await exit('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
