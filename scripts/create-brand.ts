// Brands and their API keys, for ops (uses DATABASE_URL / DB_SCHEMA like the server):
//   npm run brand:create -- "Lahore Loom" [--label "console"]   a brand and its first key (printed once)
//   npm run brand:key:add -- <brand id|name> [--label ci]      another key
//   npm run brand:key:revoke -- <key id>                        revoke a key (refused from the next request)
//   npm run brand:keys -- <brand id|name>                       list keys, last use, revocation
import { brandCommand, runCli } from '../server/src/brand/admin-cli.ts';

await runCli(brandCommand, `usage: create-brand.ts create <name> [--label L] | add-key <brand> [--label L] | revoke-key <key id> | keys <brand>`);
