// Creates a festival that brands may join (uses DATABASE_URL / DB_SCHEMA like the server):
//   npm run festival:create -- "11.11 2026" --start 2026-11-11T00:00:00+05:00 --end 2026-11-12T00:00:00+05:00 [--currency PKR]
import { festivalCommand, runCli } from '../server/src/brand/admin-cli.ts';
import { answerHelp } from './services/usage.mjs';

const usage = `usage: npm run festival:create -- <name> --start <ISO 8601> --end <ISO 8601> [--currency USD]
A festival brands may schedule deals in, e.g.
  npm run festival:create -- "11.11 2026" --start 2026-11-11T00:00:00+05:00 --end 2026-11-12T00:00:00+05:00 --currency PKR
--currency is the ISO 4217 code the ops board totals GMV in (default USD).
Against DATABASE_URL / DB_SCHEMA, like the server (migrations applied first).`;
answerHelp(usage);
await runCli(festivalCommand, usage);
