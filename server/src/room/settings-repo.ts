// Room settings in Postgres (migration 008_waiting_room.sql): the system of record the
// scheduler warms into Redis with the deal, and the brand API and ops write.
import type pg from 'pg';
import type { RoomConfig } from './room-config.ts';

export const RoomModes = ['off', 'on', 'auto'] as const;
export type RoomMode = (typeof RoomModes)[number];

export interface RoomSettings {
  mode: RoomMode;
  outflow: number;
  windowSeconds: number;
  graceSeconds: number;
  autoMultiple: number;
}

type Queryable = pg.Pool | pg.PoolClient;

export function defaultRoomSettings(cfg: Pick<RoomConfig, 'outflow' | 'windowMs' | 'graceMs' | 'autoMultiple'>): RoomSettings {
  return {
    mode: 'off', outflow: cfg.outflow, windowSeconds: Math.round(cfg.windowMs / 1000),
    graceSeconds: Math.round(cfg.graceMs / 1000), autoMultiple: cfg.autoMultiple,
  };
}

interface Row { mode: RoomMode; outflow: number; window_seconds: number; grace_seconds: number; auto_multiple: number }

function toSettings(r: Row): RoomSettings {
  return { mode: r.mode, outflow: r.outflow, windowSeconds: r.window_seconds, graceSeconds: r.grace_seconds, autoMultiple: r.auto_multiple };
}

/** The deal's room settings, or null when it has none (no room). */
export async function getRoomSettings(db: Queryable, dealId: string): Promise<RoomSettings | null> {
  const { rows } = await db.query<Row>(
    'SELECT mode, outflow, window_seconds, grace_seconds, auto_multiple FROM deal_rooms WHERE deal_id = $1', [dealId]);
  return rows[0] ? toSettings(rows[0]) : null;
}

export async function putRoomSettings(db: Queryable, dealId: string, s: RoomSettings): Promise<RoomSettings> {
  const { rows } = await db.query<Row>(
    `INSERT INTO deal_rooms (deal_id, mode, outflow, window_seconds, grace_seconds, auto_multiple)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (deal_id) DO UPDATE SET mode = EXCLUDED.mode, outflow = EXCLUDED.outflow,
       window_seconds = EXCLUDED.window_seconds, grace_seconds = EXCLUDED.grace_seconds,
       auto_multiple = EXCLUDED.auto_multiple, updated_at = now()
     RETURNING mode, outflow, window_seconds, grace_seconds, auto_multiple`,
    [dealId, s.mode, s.outflow, s.windowSeconds, s.graceSeconds, s.autoMultiple]);
  return toSettings(rows[0]!);
}
