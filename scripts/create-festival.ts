// Creates a festival that brands may join (uses DATABASE_URL / DB_SCHEMA like the server):
//   npm run festival:create -- "11.11 2026" --start 2026-11-11T00:00:00+05:00 --end 2026-11-12T00:00:00+05:00 [--currency PKR]
import { festivalCommand, runCli } from '../server/src/brand/admin-cli.ts';

await runCli(festivalCommand, 'usage: create-festival.ts <name> --start <ISO 8601> --end <ISO 8601> [--currency USD]');
