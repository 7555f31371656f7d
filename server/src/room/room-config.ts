// The waiting room's options (README "Waiting room"): read from the env with the rest of the
// config (config.ts calls loadRoomConfig), validated at boot with the variable's name.
// config.ts imports this module too; ConfigError is only used when loadRoomConfig runs, after both loaded
import { ConfigError } from '../config.ts';

export interface RoomConfig {
  /** how often each gateway ticks each room (the line moves once per tick, whoever ticks) */
  tickMs: number;
  /** admission never lets more admitted-but-empty-handed shoppers wait than
   *  floor(admitFactor * (available + heldReturn * held)) */
  admitFactor: number;
  /** the share of held units counted as coming back (unpaid holds expire) */
  heldReturn: number;
  /** defaults of a new room's settings (brand API / ops can change them per deal) */
  outflow: number;
  windowMs: number;
  graceMs: number;
  /** auto mode: the room turns on when sockets watching the deal exceed this x its stock */
  autoMultiple: number;
  /** a gateway re-marks its waiters present this often (well inside the grace) */
  presenceMs: number;
  /** a drawer that has not finished in this long is replaced */
  drawLeaseMs: number;
  /** proof of work: maxnumber = min(powMax, powBase + powPerWaiter * waiting) */
  powBase: number;
  powPerWaiter: number;
  powMax: number;
  /** a challenge must be solved and used within this long */
  powTtlMs: number;
}

type Env = Record<string, string | undefined>;

function num(env: Env, name: string, dflt: number, min: number, max: number, integer = true): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new ConfigError(name, `expected ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadRoomConfig(env: Env): Readonly<RoomConfig> {
  const graceMs = num(env, 'ROOM_GRACE_MS', 30_000, 0, 3_600_000);
  const cfg: RoomConfig = {
    tickMs: num(env, 'ROOM_TICK_MS', 250, 20, 10_000),
    admitFactor: num(env, 'ROOM_ADMIT_FACTOR', 1, 0.1, 100, false),
    heldReturn: num(env, 'ROOM_HELD_RETURN', 0.25, 0, 1, false),
    outflow: num(env, 'ROOM_OUTFLOW', 50, 1, 1_000_000),
    windowMs: num(env, 'ROOM_WINDOW_MS', 60_000, 1_000, 3_600_000),
    graceMs,
    autoMultiple: num(env, 'ROOM_AUTO_MULTIPLE', 3, 1, 1_000_000),
    presenceMs: num(env, 'ROOM_PRESENCE_MS', 5_000, 100, 600_000),
    drawLeaseMs: num(env, 'ROOM_DRAW_LEASE_MS', 10_000, 500, 600_000),
    powBase: num(env, 'ROOM_POW_BASE', 5_000, 1, 100_000_000),
    powPerWaiter: num(env, 'ROOM_POW_PER_WAITER', 2, 0, 100_000, false),
    powMax: num(env, 'ROOM_POW_MAX', 1_000_000, 1, 100_000_000),
    powTtlMs: num(env, 'ROOM_POW_TTL_MS', 120_000, 1_000, 3_600_000),
  };
  return Object.freeze(cfg);
}
