// Lua scripts as ioredis commands. Each file is named `<name>-<number of keys>.lua` (bullmq's
// convention; `-n.lua`: any number, the caller passes it first) and opens with a header: its KEYS
// with their types, ARGV, output, error codes.
// `defineCommand` sends EVAL the first time on a connection and EVALSHA after (again EVAL after
// a SCRIPT FLUSH); the calls are typed by a `declare module 'ioredis'` beside each table.
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.ts';

/** A function that defines `commands` (command name -> file in `dir`) on a connection, once. */
export function luaCommands(dir: URL, commands: Readonly<Record<string, string>>): (redis: RedisClient) => void {
  const defs = Object.entries(commands).map(([name, file]) => {
    const keys = /-(\d+|n)\.lua$/.exec(file);
    if (!keys) throw new Error(`lua script ${file}: the name must end in -<number of keys>.lua or -n.lua`);
    const numberOfKeys = keys[1] === 'n' ? undefined : Number(keys[1]);
    return { name, numberOfKeys, lua: readFileSync(new URL(file, dir), 'utf8') };
  });
  const defined = new WeakSet<RedisClient>();
  return (redis) => {
    if (defined.has(redis)) return;
    for (const { name, numberOfKeys, lua } of defs) redis.defineCommand(name, { numberOfKeys, lua });
    defined.add(redis);
  };
}
