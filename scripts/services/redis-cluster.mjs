// A private local Redis Cluster (FF_REDIS_CLUSTER=1 for `npm start` and `npm test`, the cluster
// tests and `npm run bench -- --cluster`): `masters` redis-server processes (plus `replicas` per
// master) from the PATH, on free ports, in a temporary directory, nothing persisted, joined with
// `redis-cli --cluster create`. Stopped with the command that started it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisPing, REDIS_MISSING } from './redis.mjs';
import { die, freePort, until, which } from './util.mjs';

/** `info cluster`'s cluster_state over a raw redis-cli call (no ioredis: this runs before install). */
function clusterState(port) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return /cluster_state:(\w+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

/** Whether nothing listens on `port` yet (a test bind on 127.0.0.1). */
function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Whether the node on `port` is a replica whose link to its master is up. */
function linkUp(port) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'info', 'replication'], { encoding: 'utf8' });
  return /master_link_status:up/.test(r.stdout ?? '');
}

/**
 * @param {{ masters?: number, replicas?: number, onExit?: (port: number, code: number|null) => void }} opts
 * @returns {Promise<{ nodes: string, ports: number[], pids: number[], dir: string, stop: () => Promise<void> }>}
 *   `nodes` is the REDIS_CLUSTER_NODES value (host:port,...).
 */
export async function startRedisCluster({ masters = 3, replicas = 0, onExit } = {}) {
  const server = which('redis-server');
  const cli = which('redis-cli');
  if (!server || !cli) die(REDIS_MISSING);
  // A port found free can be taken by another process before our redis-server binds it (or its
  // bus port, +10000, can be in use): a busy machine sees that now and then. Try afresh.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(server, cli, masters, replicas, onExit);
    } catch (err) {
      if (attempt >= 3) throw err;
      process.stderr.write(`flashfest: warning: starting a private Redis Cluster failed (${err.message}); trying again\n`);
    }
  }
}

async function startOnce(server, cli, masters, replicas, onExit) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flashfest-cluster-'));
  const count = masters * (1 + replicas);
  const ports = [];
  while (ports.length < count) {
    const p = await freePort();
    // the cluster bus listens on port + 10000: both must be free
    if (p < 55_000 && !ports.includes(p) && !ports.includes(p + 10_000) && (await canListen(p + 10_000))) ports.push(p);
  }
  const children = ports.map((port) => {
    const child = spawn(server, [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
      // a replica's first sync starts at once (Redis waits 5 s for more replicas by default); until
      // it is done the replica cannot be promoted
      '--repl-diskless-sync-delay', '0',
      '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--logfile', `redis-${port}.log`,
    ], { stdio: 'ignore', detached: true });
    child.on('exit', (code) => onExit?.(port, code));
    return child;
  });
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) try { c.kill('SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      if (!(await until(() => redisPing(port), 10_000, 50))) throw new Error(`redis-server on port ${port} did not start`);
    }
    const created = spawnSync(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create: ${created.stdout}${created.stderr}`);
    const ok = await until(async () => ports.every((p) => clusterState(p) === 'ok'), 20_000, 100);
    if (!ok) throw new Error('the cluster did not reach cluster_state:ok');
    // every replica in sync with its master: a failover test must not kill a master first
    const synced = replicas === 0 || await until(async () => ports.filter((p) => linkUp(p)).length === masters * replicas, 20_000, 100);
    if (!synced) throw new Error('the replicas did not sync with their masters');
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, pids: children.map((c) => c.pid), dir, stop };
}
