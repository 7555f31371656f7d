// flashfest entry point. One codebase, roles by FF_ROLE: gateway | worker | scheduler | all.
// Boot: config -> migrations (under an advisory lock) -> the role's parts. Stop on SIGINT /
// SIGTERM: gateway first (stop accepting, answer in-flight grabs), then scheduler, workers,
// and connections last, so nothing confirmed is dropped on the way out.
import { loadConfig, redactedConfig, ConfigError, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createPool } from './db/pool.ts';
import { migrate } from './db/migrate.ts';
import { createRedis, createBlockingRedis, connectFailFast } from './redis.ts';

type Stop = { name: string; stop: () => Promise<void> };

export async function start(config: Readonly<Config>, logger: Logger): Promise<{ stop(): Promise<void>; port: number | null; metricsPort: number | null }> {
  const stops: Stop[] = [];
  const pool = createPool(config, config.role === 'gateway' ? 10 : 20);
  const applied = await migrate(pool, config.dbSchema);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const redis = createRedis(config);
  // one Prometheus registry and one ops-board heartbeat per process, whatever its roles
  const { startTelemetry } = await import('./metrics/telemetry.ts');
  const telemetry = await startTelemetry({ config, redis, pool, logger });
  let port: number | null = null;
  const has = (role: Config['role']) => config.role === 'all' || config.role === role;

  if (has('gateway')) {
    const { createGateway } = await import('./gateway/app.ts');
    const { Admission } = await import('./admission/queues.ts');
    const { payHold, createPaymentProvider } = await import('./admission/payments.ts');
    const { StockStore } = await import('./stock/stock-store.ts');
    const queueConnection = createBlockingRedis(config);
    const { createSubscriber } = await import('./channels.ts');
    const subscriber = createSubscriber(config);
    // grabs and pays answer `unavailable` rather than wait out a Redis outage
    const grabRedis = await connectFailFast(config, () => telemetry.metrics.storeError('redis'));
    const admission = new Admission(config, queueConnection);
    const provider = createPaymentProvider(config);
    const stock = new StockStore(grabRedis, config.keyPrefix);
    const gateway = await createGateway({
      config, logger, pool, redis: grabRedis, subscriber,
      admission,
      pay: (hold, shopper, method) => payHold({
        config, redis: grabRedis, stock, provider, admission,
        // the gateway's catalogue cache: no Postgres query per payment once the deal is known
        dealMethods: async (dealId) => (await gateway.ctx.feed.ensureDeal(dealId))?.paymentMethods ?? null,
      }, { hold, shopper, method }),
      metrics: telemetry.metrics, queues: admission.queues,
    });
    telemetry.metrics.watchQueues(admission.queues);
    telemetry.heartbeat.add(() => ({
      sockets: gateway.ctx.sockets.size, opsSockets: gateway.ctx.live.opsSockets.size,
      clockSkewMs: Math.round(gateway.ctx.clock.skew() * 10) / 10,
    }));
    port = await gateway.listen();
    logger.info({ url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}` }, 'gateway listening');
    stops.push({ name: 'gateway', stop: async () => {
      await gateway.close();
      await admission.close();
      subscriber.disconnect();
      queueConnection.disconnect();
      grabRedis.disconnect();
    } });
  }
  if (has('scheduler')) {
    const { startScheduler } = await import('./scheduler/scheduler.ts');
    const scheduler = await startScheduler({ config, redis, pool, logger });
    telemetry.metrics.watchLeadership(() => scheduler.isLeader());
    telemetry.heartbeat.add(() => ({ leader: scheduler.isLeader() }));
    stops.push({ name: 'scheduler', stop: () => scheduler.close() });
  }
  if (has('worker')) {
    const { startWorkers } = await import('./admission/index.ts');
    const workers = await startWorkers({ config, redis, pool, logger });
    telemetry.metrics.watchAdmission(workers.stats);
    telemetry.heartbeat.add(() => ({ ordersWritten: workers.stats.ordersWritten, holdsReleased: workers.stats.holdsReleased }));
    stops.push({ name: 'workers', stop: () => workers.close() });
  }

  return {
    port,
    metricsPort: telemetry.metricsPort,
    async stop() {
      for (const s of stops) {
        try {
          await s.stop();
        } catch (err) {
          logger.error({ err, part: s.name }, 'stop failed');
        }
      }
      await telemetry.stop().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, { role: config.role });
  logger.info({ config: redactedConfig(config) }, 'starting flashfest');
  const running = await start(config, logger);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => { logger.error({ err }, 'stop failed'); process.exit(1); },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // One plain line for people and for scripts that wait for readiness; after the signal
  // handlers, so a script that stops us the moment it reads it gets a graceful stop.
  if (running.port !== null) {
    console.log(`flashfest ready: ${config.publicUrl.replace(/:\d+$/, '')}:${running.port}`);
  } else {
    console.log(`flashfest ready: role ${config.role}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error('flashfest failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
