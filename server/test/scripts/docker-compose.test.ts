// docker-compose.yml read as Docker would run it (no Docker engine here): each engine service's
// environment is the image's ENV (Dockerfile) under the compose `environment`, with `${...}`
// interpolated from the operator's .env, then put through the engine's own config validation
// (loadConfig), which is what stops a container at boot.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

// playwright-core (a dev dependency already) bundles the `yaml` package; no parser of our own.
interface YamlModule { parse(text: string, options: { merge: boolean }): unknown }
const { yaml } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as { yaml: YamlModule };

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
}
interface ComposeFile { services: Record<string, ComposeService> }

const compose = yaml.parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;

/** The `ENV a=b c=d` lines of the Dockerfile (continuation lines joined). */
function dockerfileEnv(): Record<string, string> {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

class InterpolationError extends Error {}

/** Compose's variable syntax: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a}. */
function interpolate(value: string, dotenv: Record<string, string>): string {
  return value.replace(/\$(\$|[A-Za-z_][A-Za-z0-9_]*|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\})/g,
    (whole, simple: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (simple === '$') return '$';
      const key = name ?? simple;
      const v = dotenv[key];
      const unset = v === undefined;
      const emptyOrUnset = unset || v === '';
      switch (op) {
        case undefined: return v ?? '';
        case ':-': return emptyOrUnset ? arg! : v!;
        case '-': return unset ? arg! : v!;
        case ':?': if (emptyOrUnset) throw new InterpolationError(`required variable ${key} is missing a value: ${arg}`); return v!;
        case '?': if (unset) throw new InterpolationError(`required variable ${key} is missing a value: ${arg}`); return v!;
        case ':+': return emptyOrUnset ? '' : arg!;
        case '+': return unset ? '' : arg!;
        default: throw new Error(`unsupported interpolation ${whole}`);
      }
    });
}

/** The environment a container of `service` starts with. */
function containerEnv(service: ComposeService, dotenv: Record<string, string>): Record<string, string> {
  const env = dockerfileEnv();
  for (const [k, v] of Object.entries(service.environment ?? {})) env[k] = interpolate(String(v ?? ''), dotenv);
  return env;
}

// the services built from this repository's Dockerfile: the engine's roles and the seed
const engineServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined || s.image === 'flashfest:local');

// what the README's Docker section tells the operator to put in .env
const operatorDotenv = { SESSION_SECRET: 'a'.repeat(64), OPS_TOKEN: 'b'.repeat(48) };

describe('docker-compose.yml', () => {
  it('runs the gateway, worker and scheduler roles (and the seed) from the image', () => {
    const roles = Object.fromEntries(engineServices.map(([name, s]) => [name, containerEnv(s, operatorDotenv).FF_ROLE]));
    expect(roles).toEqual({ gateway: 'gateway', worker: 'worker', scheduler: 'scheduler', seed: 'all' });
  });

  it.each(engineServices)('%s: its environment passes the engine config validation in production', (name, service) => {
    const env = containerEnv(service, operatorDotenv);
    expect(env.NODE_ENV).toBe('production');
    let config: ReturnType<typeof loadConfig> | undefined;
    let failure = '';
    try {
      config = loadConfig(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failure = err.message; // e.g. "config: OPS_TOKEN: must be set in production": the container restarts in a loop
    }
    expect(failure, `${name} exits at boot`).toBe('');
    expect(config!.production).toBe(true);
    expect(config!.opsToken).toBe(operatorDotenv.OPS_TOKEN);
    expect(config!.sessionSecret).toBe(operatorDotenv.SESSION_SECRET);
    // reachable from outside the container, and talking to the compose services by name
    expect(config!.host).toBe('0.0.0.0');
    expect(new URL(config!.redisUrl).hostname).toBe('redis');
    expect(new URL(config!.databaseUrl).hostname).toBe('postgres');
  });

  it.each(['SESSION_SECRET', 'OPS_TOKEN'])('without %s in .env compose refuses to start, naming it (no restart loop)', (missing) => {
    const dotenv: Record<string, string> = { ...operatorDotenv };
    delete dotenv[missing];
    for (const [, service] of engineServices) {
      expect(() => containerEnv(service, dotenv)).toThrow(new RegExp(`required variable ${missing} is missing a value: set ${missing} in \\.env`));
    }
  });

  it('the cluster profile: every role on the six-node cluster the profile starts and joins, when .env names it', () => {
    const clusterNodes = Object.entries(compose.services)
      .filter(([, s]) => s.profiles?.includes('cluster') && (s.command ?? []).includes('--cluster-enabled')).map(([name]) => name);
    expect(clusterNodes).toHaveLength(6);
    const init = compose.services['redis-cluster-init']!;
    expect(init.profiles).toEqual(['cluster']);
    const joined = (init.command ?? []).join(' ');
    for (const n of clusterNodes) expect(joined).toContain(`${n}:6379`);
    expect(joined).toContain('--cluster-replicas 1');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const line = /echo "REDIS_CLUSTER_NODES=([^"]+)" >> \.env/.exec(readme.slice(readme.indexOf('## Running on Redis Cluster')))?.[1];
    expect(line, 'README "Running on Redis Cluster" gives the .env line').toBeTruthy();
    for (const [name, service] of engineServices) {
      const config = loadConfig(containerEnv(service, { ...operatorDotenv, REDIS_CLUSTER_NODES: line! }));
      expect(config.redisClusterNodes.length, name).toBe(3);
      for (const n of config.redisClusterNodes) expect(clusterNodes, `${name} -> ${n.host}`).toContain(n.host);
    }
    // without it, the one Redis as before
    for (const [, service] of engineServices) expect(loadConfig(containerEnv(service, operatorDotenv)).redisClusterNodes).toEqual([]);
  });

  it('the README tells the operator to set every variable compose requires', () => {
    const required = new Set([...readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z_]+):?\?/g)].map((m) => m[1]!));
    expect([...required].sort()).toEqual(['OPS_TOKEN', 'SESSION_SECRET']);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const docker = readme.slice(readme.indexOf('## Docker'), readme.indexOf('\n## ', readme.indexOf('## Docker') + 1));
    for (const name of required) expect(docker, `README "Docker" names ${name}`).toMatch(new RegExp(`${name}=`));
  });
});
