// Checks a waiting room's draw: the revealed seed matches the commitment published before the
// opening, and prints the number a pre-queue ticket got (or the whole order).
//
//   npm run room:verify -- --seed <hex> --commit <hex> --entries <n> [--ticket <t>]
//   npm run room:verify -- --url http://localhost:8080 --deal <id> [--ticket <t>]
import { parseArgs } from 'node:util';
import { commitOf, drawOrder } from '../server/src/room/draw.ts';
import { answerHelp } from './services/usage.mjs';

answerHelp(`
usage: npm run room:verify -- --seed <hex> --commit <hex> --entries <n> [--ticket <t>]
       npm run room:verify -- --url http://localhost:8080 --deal <id> [--ticket <t>]

Checks a waiting room's draw: the revealed seed must hash to the commitment published before
the opening; prints the number the pre-queue ticket <t> got, or the whole order.
  --seed, --commit, --entries   the draw's revealed seed, its commitment and the pre-queue size
  --url, --deal                 read those from a running engine (GET /api/rooms/:deal)
  --ticket                      one pre-queue ticket to look up
  --help, -h                    this text`);

const { values } = parseArgs({
  options: {
    seed: { type: 'string' }, commit: { type: 'string' }, entries: { type: 'string' },
    ticket: { type: 'string' }, url: { type: 'string' }, deal: { type: 'string' },
  },
});

let { seed, commit } = values;
let entries = values.entries === undefined ? NaN : Number(values.entries);
if (values.url && values.deal) {
  const res = await fetch(`${values.url}/api/rooms/${values.deal}`);
  if (!res.ok) throw new Error(`GET /api/rooms/${values.deal}: ${res.status} ${await res.text()}`);
  const room = (await res.json()) as { seed: string | null; commit: string; entries: number };
  if (!room.seed) throw new Error('the draw has not happened yet: the seed is not revealed');
  ({ commit } = room);
  seed = room.seed;
  entries = room.entries;
}
if (!seed || !commit || !Number.isInteger(entries)) {
  console.error('usage: --seed <hex> --commit <hex> --entries <n> [--ticket <t>]   or   --url <engine> --deal <id> [--ticket <t>]');
  process.exit(2);
}
if (commitOf(seed) !== commit.toLowerCase()) {
  console.error(`NOT VERIFIED: sha256(seed) = ${commitOf(seed)}, the room committed to ${commit}`);
  process.exit(1);
}
console.log(`verified: sha256(seed) matches the commitment ${commit}`);
const order = drawOrder(seed, entries);
if (values.ticket) {
  const at = order.indexOf(Number(values.ticket));
  console.log(at < 0 ? `ticket ${values.ticket} was not in the draw (${entries} tickets)` : `ticket ${values.ticket} -> number ${at + 1}`);
} else {
  console.log(`number -> ticket: ${Array.from(order).map((t, i) => `${i + 1}:${t}`).join(' ')}`);
}
