// The waiting room's `auto` mode through a real engine: off while the sockets watching the
// deal's festival are at most autoMultiple x stock, on once they exceed it (README "Waiting room").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeals, startEngine, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { newSessionWithPow } from '../helpers/room-client.ts';
import { putRoomSettings } from '../../src/room/settings-repo.ts';
import { RoomStore } from '../../src/room/room-store.ts';
import { roomKeys } from '../../src/room/keys.ts';

const STOCK = 3;

let engine: RunningEngine;
let festivalId: string;
let dealId: string;
const sockets: ShopperSocket[] = [];

beforeAll(async () => {
  engine = await startEngine({ ROOM_TICK_MS: '50', ROOM_POW_BASE: '300', ROOM_POW_PER_WAITER: '0' });
  const seeded = await seedDeals(engine.env.pool, [{ stock: STOCK, limit: 1, startsIn: -1_000 }]);
  festivalId = seeded.festivalId;
  dealId = seeded.dealIds[0]!;
  await warmNow(engine.env, [dealId]);
  const settings = await putRoomSettings(engine.env.pool, dealId, { mode: 'auto', outflow: 1_000, windowSeconds: 60, graceSeconds: 30, autoMultiple: 1 });
  await new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room).warm(dealId, settings);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await engine?.stop();
  await engine?.env.cleanup();
});

/** A shopper socket watching the deal's festival. */
async function watcher(): Promise<ShopperSocket> {
  const session = await newSessionWithPow(engine.url);
  const s = await ShopperSocket.open(engine.wsUrl, session.token);
  sockets.push(s);
  await s.waitFor((m) => m.t === 'hello');
  s.send({ t: 'sub', festival: festivalId });
  return s;
}

/** Watchers summed over the fresh gateway reports in the room's watch hash (what the tick Lua sums). */
async function reportedWatchers(): Promise<number> {
  const all = await engine.env.redis.hgetall(roomKeys(engine.config.keyPrefix, dealId).watch);
  return Object.values(all).reduce((sum, v) => sum + Number(v.split('|')[0]), 0);
}

/** Gateway reports younger than the rule's 5 s, by Redis's clock (as the tick Lua judges). */
async function freshReports(): Promise<number> {
  const [sec, usec] = await engine.env.redis.time();
  const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  const all = await engine.env.redis.hgetall(roomKeys(engine.config.keyPrefix, dealId).watch);
  return Object.values(all).filter((v) => now - Number(v.split('|')[1]) < 5_000).length;
}

async function grab(s: ShopperSocket, rid: string): Promise<{ t: string; code?: string }> {
  s.send({ t: 'grab', deal: dealId, qty: 1, rid });
  return (await s.answerTo(rid)) as { t: string; code?: string };
}

async function roomState(): Promise<{ status: number; state?: string }> {
  const res = await fetch(`${engine.url}/api/rooms/${dealId}`);
  const body = (await res.json()) as { state?: string };
  return { status: res.status, state: body.state };
}

describe('auto waiting room', () => {
  it('stays off at autoMultiple x stock watchers and turns on past it', async () => {
    const crowd: ShopperSocket[] = [];
    for (let i = 0; i < STOCK; i++) crowd.push(await watcher());
    // the gateway has counted and reported all of them: the rule saw exactly stock x multiple
    await waitFor(async () => (await reportedWatchers()) === STOCK, `${STOCK} watchers reported`);
    expect(await grab(crowd[0]!, 'below')).toMatchObject({ t: 'held' });
    expect((await roomState()).state ?? 'off').toBe('off');

    // one more watcher: stock x multiple is exceeded
    crowd.push(await watcher());
    await waitFor(async () => {
      const r = await roomState();
      return r.status === 200 && r.state !== 'off';
    }, 'the room to turn on');
    // the gateway knows it too: a grab without a pass is refused
    let n = 0;
    const refusal = await waitFor(async () => {
      const answer = await grab(crowd[1]!, `above${n++}`);
      return answer.code === 'not_admitted' ? answer : null;
    }, 'a grab without a pass to be refused not_admitted');
    expect(refusal).toMatchObject({ t: 'refused', code: 'not_admitted' });
    // once on it stays on: the crowd leaves and every watcher report goes stale (5 s, by Redis TIME)
    for (const s of crowd.splice(1)) s.close();
    await waitFor(async () => (await freshReports()) === 0, 'every watcher report to go stale', 15_000, 250);
    expect((await roomState()).state).not.toBe('off');
    expect(await grab(crowd[0]!, 'after')).toMatchObject({ t: 'refused', code: 'not_admitted' });
  });
});
