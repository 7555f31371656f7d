// Ops commands for brands, keys and festivals (there is no public sign-up). The scripts in
// scripts/ are thin wrappers; the functions take a pool so tests can call them directly.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { createBrand, createKey, findBrand, listKeys, revokeKey } from '../db/brand-keys-repo.ts';
import { createFestival } from '../db/brand-deals-repo.ts';
import { isCurrency, parseTime } from './validation.ts';

export class UsageError extends Error {}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export async function brandCommand(pool: Pool, argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { label: { type: 'string' } } });
  const [cmd, arg] = positionals;
  const label = values.label ?? '';
  if (cmd === 'create') {
    if (!arg) throw new UsageError('brand name missing');
    const brand = await createBrand(pool, arg);
    const key = await createKey(pool, brand.id, label || 'first key');
    return `brand #${brand.id} "${brand.name}" created\nkey #${key.keyId}: ${key.key}\n(shown once: store it now; only its hash is kept)`;
  }
  if (cmd === 'add-key') {
    const brand = arg ? await findBrand(pool, arg) : null;
    if (!brand) throw new UsageError(`no brand ${JSON.stringify(arg ?? '')} (give its id or exact name)`);
    const key = await createKey(pool, brand.id, label);
    return `key #${key.keyId} for brand #${brand.id} "${brand.name}": ${key.key}\n(shown once: store it now; only its hash is kept)`;
  }
  if (cmd === 'revoke-key') {
    if (!arg || !/^\d{1,18}$/.test(arg)) throw new UsageError('key id missing (the number after ffb_)');
    return (await revokeKey(pool, arg)) ? `key #${arg} revoked` : `key #${arg} does not exist or was already revoked`;
  }
  if (cmd === 'keys') {
    const brand = arg ? await findBrand(pool, arg) : null;
    if (!brand) throw new UsageError(`no brand ${JSON.stringify(arg ?? '')}`);
    const rows = await listKeys(pool, brand.id);
    return [`keys of brand #${brand.id} "${brand.name}":`, ...rows.map((k) =>
      `  #${k.id}  ${k.revokedAt ? 'REVOKED ' + iso(k.revokedAt) : 'active'}  created ${iso(k.createdAt)}  last used ${iso(k.lastUsedAt)}  ${k.label}`)].join('\n');
  }
  throw new UsageError(`unknown command ${JSON.stringify(cmd ?? '')}`);
}

export async function festivalCommand(pool: Pool, argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { start: { type: 'string' }, end: { type: 'string' }, currency: { type: 'string' } },
  });
  const name = positionals[0];
  if (!name || name.length > 120) throw new UsageError('festival name missing (1-120 characters)');
  const startsAt = parseTime(values.start);
  const endsAt = parseTime(values.end);
  if (startsAt === undefined || endsAt === undefined) throw new UsageError('--start and --end are ISO 8601 times with a zone, e.g. 2026-11-11T00:00:00+05:00');
  if (endsAt <= startsAt) throw new UsageError('--end must be after --start');
  const currency = values.currency ?? 'USD';
  if (!isCurrency(currency)) throw new UsageError(`--currency ${currency} is not an ISO 4217 code`);
  const id = await createFestival(pool, { name, startsAt, endsAt, displayCurrency: currency });
  return `festival #${id} "${name}": ${iso(startsAt)} to ${iso(endsAt)} (display ${currency})`;
}

/** Runs a command against DATABASE_URL / DB_SCHEMA (like the server), printing its result. */
export async function runCli(command: (pool: Pool, argv: string[]) => Promise<string>, usage: string): Promise<void> {
  const config = loadConfig(process.env);
  const pool = createPool(config, 2);
  try {
    await migrate(pool, config.dbSchema);
    console.log(await command(pool, process.argv.slice(2)));
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(`failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  } finally {
    await pool.end();
  }
}
