// Brands and their API keys, for ops (uses DATABASE_URL / DB_SCHEMA like the server):
//   npm run brand:create -- "Lahore Loom" [--label "console"]   a brand and its first key (printed once)
//   npm run brand:key:add -- <brand id|name> [--label ci]      another key
//   npm run brand:key:revoke -- <key id>                        revoke a key (refused from the next request)
//   npm run brand:keys -- <brand id|name>                       list keys, last use, revocation
import { brandCommand, runCli } from '../server/src/brand/admin-cli.ts';
import { answerHelp } from './services/usage.mjs';

const usage = `usage:
  npm run brand:create -- <name> [--label L]            a brand and its first API key (printed once)
  npm run brand:key:add -- <brand id|name> [--label L]  another key for a brand
  npm run brand:key:revoke -- <key id>                  revoke a key (the number after ffb_)
  npm run brand:keys -- <brand id|name>                 list a brand's keys, last use, revocation
Against DATABASE_URL / DB_SCHEMA, like the server (migrations applied first).`;
answerHelp(usage);
await runCli(brandCommand, usage);
