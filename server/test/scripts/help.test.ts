// Every npm script that runs one of our files answers --help with its usage and exits 0, before
// it checks, connects to or starts anything (Redis and Postgres point at a closed port here).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

// `node [--import tsx] <our file> [fixed args]`; vite, tsc, vitest have their own --help, and
// `dev` is the server itself
const ours = Object.entries(pkg.scripts)
  .map(([name, command]) => [name, command.replace(/^exec /, '').split(' ')] as const)
  .filter(([name, argv]) => name !== 'dev' && argv[0] === 'node' && argv.some((a) => /^(scripts|bench)\//.test(a)));

/** Runs the script with --help; one that goes on to do its job is stopped after `limitMs`. */
function runHelp(argv: readonly string[], limitMs = 20_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...argv.slice(1), '--help'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://127.0.0.1:1/nothing', PORT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code) => { clearTimeout(limit); resolve({ code, out, err }); });
  });
}

describe('--help', () => {
  it('covers the scripts a newcomer meets', () => {
    const names = ours.map(([n]) => n);
    for (const n of ['start', 'test', 'seed', 'simulate', 'reconcile', 'brand:create', 'festival:create', 'idp:demo', 'bench']) expect(names).toContain(n);
  });

  it.each(ours)('npm run %s -- --help prints its usage and exits 0', async (name, argv) => {
    const r = await runHelp(argv);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage:/);
    const invoked = name === 'start' || name === 'test' ? `npm ${name}` : `npm run ${name}`;
    expect(r.out).toContain(invoked);
    expect(r.out).not.toMatch(/unknown option/i);
  });
});
