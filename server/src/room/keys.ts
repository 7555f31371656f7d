// The waiting room's Redis keys. Every key carries the deal's hash tag `{d:<dealId>}`, the same
// as the deal's stock keys (stock/keys.ts), so a room script that also reads the deal hash and
// the per-shopper counts runs on one Cluster slot, on the deal's master.

export interface RoomKeys {
  /** HASH: settings (mode outflow windowMs graceMs paused autoMultiple), the draw (commit seed
   *  revealed entries drawLease), the line (state reason next serving credit lastTick rate) and
   *  counters (admitted abandoned openedAt closedAt soldOutAt). See lua/room-tick-8.lua. */
  room: string;
  /** HASH: shopper -> `t<ticket>` (in the pre-queue, before the draw) or `<number>` */
  who: string;
  /** HASH: pre-queue ticket -> shopper (a ticket whose shopper left has no field: a hole) */
  tix: string;
  /** ZSET: waiting shoppers by number; the front is the lowest score above `serving` */
  line: string;
  /** ZSET: shopper -> when a gateway last saw its socket (ms); stale past the grace: abandoned */
  seen: string;
  /** ZSET: admitted shopper -> end of its grab window (ms) */
  admitted: string;
  /** HASH: gateway id -> `<sockets watching the deal's festival>|<ms>` (auto mode's rule) */
  watch: string;
}

export function roomKeys(prefix: string, dealId: string): RoomKeys {
  const tag = `${prefix}:{d:${dealId}}`;
  return {
    room: `${tag}:room`,
    who: `${tag}:room:who`,
    tix: `${tag}:room:tix`,
    line: `${tag}:room:line`,
    seen: `${tag}:room:seen`,
    admitted: `${tag}:room:adm`,
    watch: `${tag}:room:watch`,
  };
}
