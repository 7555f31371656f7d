// Room settings as the brand API and ops change them: validated, stored in Postgres, and pushed
// to Redis at once when the deal is already warm (the scheduler warms them with the deal).
import type pg from 'pg';
import { FieldCode, type FieldCodeValue } from '../errors.ts';
import type { Config } from '../config.ts';
import type { RoomStore } from './room-store.ts';
import { defaultRoomSettings, getRoomSettings, putRoomSettings, RoomModes, type RoomSettings } from './settings-repo.ts';

export interface FieldError { field: string; code: FieldCodeValue; message: string }

const LIMITS = {
  outflow: [1, 1_000_000], windowSeconds: [1, 3_600], graceSeconds: [0, 3_600], autoMultiple: [1, 1_000_000],
} as const;

/** Merges `input` (any subset of the settings) over `current`; field errors when it does not fit. */
export function validateRoomSettings(input: unknown, current: RoomSettings): { ok: true; settings: RoomSettings } | { ok: false; errors: FieldError[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', code: FieldCode.WrongType, message: 'The body must be a JSON object.' }] };
  }
  const errors: FieldError[] = [];
  const out: RoomSettings = { ...current };
  for (const [field, value] of Object.entries(input)) {
    if (field === 'mode') {
      if (typeof value !== 'string' || !(RoomModes as readonly string[]).includes(value)) {
        errors.push({ field, code: FieldCode.OutOfRange, message: `mode must be one of ${RoomModes.join(', ')}.` });
      } else out.mode = value as RoomSettings['mode'];
    } else if (field in LIMITS) {
      const [min, max] = LIMITS[field as keyof typeof LIMITS];
      if (typeof value !== 'number') errors.push({ field, code: FieldCode.WrongType, message: `${field} must be a number.` });
      else if (!Number.isInteger(value)) errors.push({ field, code: FieldCode.NotInteger, message: `${field} must be an integer.` });
      else if (value < min || value > max) errors.push({ field, code: FieldCode.OutOfRange, message: `${field} must be between ${min} and ${max}.` });
      else out[field as keyof typeof LIMITS] = value;
    } else {
      errors.push({ field, code: FieldCode.UnknownField, message: `Unknown field; expected mode, ${Object.keys(LIMITS).join(', ')}.` });
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, settings: out };
}

export async function roomSettingsOf(pool: pg.Pool, config: Readonly<Config>, dealId: string): Promise<RoomSettings> {
  return (await getRoomSettings(pool, dealId)) ?? defaultRoomSettings(config.room);
}

/** Stores the settings and, if the deal is in Redis already, updates its room there too. */
export async function saveRoomSettings(pool: pg.Pool, rooms: RoomStore, stock: { hasDeal(id: string): Promise<boolean> },
  dealId: string, s: RoomSettings): Promise<RoomSettings> {
  const saved = await putRoomSettings(pool, dealId, s);
  if (await stock.hasDeal(dealId)) await rooms.warm(dealId, saved);
  return saved;
}

/** The scheduler's warm step: a deal with room settings gets its room in Redis beside its stock. */
export async function warmRoomOf(pool: pg.Pool, rooms: RoomStore, dealId: string): Promise<void> {
  const s = await getRoomSettings(pool, dealId);
  if (s) await rooms.warm(dealId, s);
}
