// The room scripts in ./lua as typed ioredis commands; room-store.ts decodes their replies.
import type { Result } from 'ioredis';
import { luaCommands } from '../lua-commands.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ffRoomWarm(room: string, ...args: (string | number)[]): Result<number, Context>;
    ffRoomJoin(room: string, who: string, tix: string, line: string, seen: string, adm: string, deal: string,
      shopper: string, paid: '0' | '1'): Result<(string | number)[], Context>;
    ffRoomLeave(room: string, who: string, tix: string, line: string, seen: string, adm: string,
      shopper: string): Result<number, Context>;
    ffRoomDraw(room: string, who: string, tix: string, line: string, ...args: (string | number)[]): Result<number, Context>;
    ffRoomTick(room: string, line: string, seen: string, adm: string, watch: string, deal: string, per: string, who: string,
      ...args: (string | number)[]): Result<(string | number)[], Context>;
  }
}

export const defineRoomScripts = luaCommands(new URL('./lua/', import.meta.url), {
  ffRoomWarm: 'room-warm-1.lua',
  ffRoomJoin: 'room-join-7.lua',
  ffRoomLeave: 'room-leave-6.lua',
  ffRoomDraw: 'room-draw-4.lua',
  ffRoomTick: 'room-tick-8.lua',
});
