// Per-process telemetry: the Prometheus registry, the heartbeat the ops board reads, store
// error counting, and for roles without a gateway (worker, scheduler) a small node:http server
// on METRICS_PORT serving /metrics. The gateway serves /metrics on its own port.
import { createServer, type Server } from 'node:http';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import { Heartbeat } from '../live/nodes.ts';
import { ProcessMetrics } from './process-metrics.ts';

export interface Telemetry {
  metrics: ProcessMetrics;
  heartbeat: Heartbeat;
  /** port of the standalone /metrics server, or null */
  metricsPort: number | null;
  stop(): Promise<void>;
}

export async function startTelemetry(d: { config: Readonly<Config>; redis: RedisClient; pool: Pool; logger: Logger }): Promise<Telemetry> {
  const { config, redis, pool, logger } = d;
  const metrics = new ProcessMetrics(config.role);
  redis.on('error', () => metrics.storeError('redis'));
  pool.on('error', () => metrics.storeError('postgres'));
  const heartbeat = new Heartbeat(redis, config.keyPrefix, config.role);
  heartbeat.add(() => {
    const q = metrics.latency.quantiles();
    let grabs = 0;
    for (const n of metrics.grabCounts.values()) grabs += n;
    return { dropped: metrics.droppedTotal, grabs, p50: q ? round(q.p50) : null, p99: q ? round(q.p99) : null };
  });
  heartbeat.start();

  let server: Server | null = null;
  let metricsPort: number | null = null;
  const hasGateway = config.role === 'gateway' || config.role === 'all';
  if (!hasGateway && config.metricsPort > 0) {
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
        metrics.text().then(
          (body) => { res.writeHead(200, { 'content-type': metrics.contentType }); res.end(body); },
          () => { res.writeHead(500); res.end(); },
        );
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"code":"not_found","message":"Only /metrics here."}');
      }
    });
    metricsPort = await new Promise<number>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.metricsPort, config.host, () => {
        const addr = server!.address();
        resolve(typeof addr === 'object' && addr ? addr.port : config.metricsPort);
      });
    });
    logger.info({ port: metricsPort }, 'metrics listening');
  }

  return {
    metrics, heartbeat, metricsPort,
    async stop() {
      await heartbeat.stop();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
