// How often a gateway sends festival snapshots to its shoppers. Snapshots are for people
// (counters, countdowns), and a person reads a counter no faster when the audience is large; the
// gateway's CPU, and with it every shopper's grab answers, pays for each socket written. So a
// gateway keeps its festival sends within a budget per second: past it, the period stretches with
// the number of sockets following a festival here, in whole ticks so that it stays deterministic
// (the counters are still read every tick), up to a ceiling so that no page looks frozen.

export interface CadenceOptions {
  /** the live tick (LIVE_SNAPSHOT_MS): the shortest period */
  tickMs: number;
  /** festival sends per second this gateway allows itself; 0: no budget, a snapshot every tick */
  sendsPerSecond: number;
  /** the longest period, whatever the audience */
  ceilingMs: number;
}

/** Ticks between two festival snapshots when `followers` sockets follow a festival here. */
export function ticksPerSnapshot(followers: number, o: CadenceOptions): number {
  if (o.sendsPerSecond <= 0 || followers <= 0) return 1;
  const most = Math.max(1, Math.floor(o.ceilingMs / o.tickMs));
  const needed = Math.ceil((followers * 1000) / o.sendsPerSecond / o.tickMs);
  return Math.min(most, Math.max(1, needed));
}
