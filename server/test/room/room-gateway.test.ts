// The waiting room through a real engine: PoW at the door, places, passes on grabs, the
// sold-out broadcast, reconnection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeals, startEngine, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { newSessionWithPow, solvePow } from '../helpers/room-client.ts';
import { putRoomSettings } from '../../src/room/settings-repo.ts';
import { RoomStore } from '../../src/room/room-store.ts';
import { AdmissionSigner } from '../../src/room/admission-token.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';
import type { AdmittedMsg, JoinedMsg, PowMsg } from '../../src/shared/room-protocol.ts';

let engine: RunningEngine;
let festivalId: string;
let dealIds: string[];

beforeAll(async () => {
  engine = await startEngine({ ROOM_TICK_MS: '50', ROOM_POW_BASE: '300', ROOM_POW_PER_WAITER: '0', ROOM_PRESENCE_MS: '200' });
  ({ festivalId, dealIds } = await seedDeals(engine.env.pool, [
    { stock: 5, limit: 1, startsIn: -1_000 },
    { stock: 1, limit: 1, startsIn: -1_000 },
    { stock: 100, limit: 1, startsIn: -1_000 },
  ]));
  await warmNow(engine.env, dealIds);
  const rooms = new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room);
  for (const id of dealIds) {
    const s = await putRoomSettings(engine.env.pool, id, { mode: 'on', outflow: 1_000, windowSeconds: 60, graceSeconds: 30, autoMultiple: 3 });
    await rooms.warm(id, s);
  }
});
afterAll(async () => {
  await engine?.stop();
  await engine?.env.cleanup();
});

async function shopper(token?: string): Promise<{ s: ShopperSocket; token: string; id: string }> {
  const session = token ? { token, shopperId: '' } : await newSessionWithPow(engine.url);
  const s = await ShopperSocket.open(engine.wsUrl, session.token);
  const hello = await s.waitFor((m) => m.t === 'hello');
  s.send({ t: 'sub', festival: festivalId });
  return { s, token: session.token, id: (hello as { shopper: string }).shopper };
}

const is = <T extends ServerMessage['t']>(t: T, deal: string) => (m: ServerMessage) => m.t === t && (m as { deal?: string }).deal === deal;

async function joinWithPow(s: ShopperSocket, deal: string): Promise<JoinedMsg> {
  const before = s.messages.length;
  s.send({ t: 'join', deal });
  const pow = (await s.waitFor((m) => s.messages.indexOf(m) >= before && is('pow', deal)(m))) as PowMsg;
  s.send({ t: 'join', deal, pow: solvePow(pow.challenge) });
  return (await s.waitFor((m) => s.messages.indexOf(m) >= before && is('joined', deal)(m))) as JoinedMsg;
}

describe('waiting room through the gateway', () => {
  it('a new place needs a solved proof of work bound to the shopper and deal', async () => {
    const deal = dealIds[2]!;
    const a = await shopper();
    const b = await shopper();
    a.s.send({ t: 'join', deal });
    const pow = (await a.s.waitFor(is('pow', deal))) as PowMsg;
    expect(pow.challenge.salt).toContain(`s=${a.id}`);
    const solution = solvePow(pow.challenge);
    // B cannot use A's solution: another pow comes back, no place
    b.s.send({ t: 'join', deal, pow: solution });
    await b.s.waitFor(is('pow', deal));
    expect(b.s.messages.some(is('joined', deal))).toBe(false);
    // a wrong number does not verify either
    const wrong = Buffer.from(JSON.stringify({ ...pow.challenge, number: -1 })).toString('base64');
    a.s.send({ t: 'join', deal, pow: wrong });
    await new Promise((r) => setTimeout(r, 200));
    expect(a.s.messages.some(is('joined', deal))).toBe(false);
    a.s.send({ t: 'join', deal, pow: solution });
    const joined = (await a.s.waitFor(is('joined', deal))) as JoinedMsg;
    expect(joined.number).toBeGreaterThan(0);
    expect(joined.commit).toMatch(/^[0-9a-f]{64}$/);
    a.s.close();
    b.s.close();
  });

  it('grabs need a valid pass: none, forged, expired, another shopper\'s refused; the own pass holds', async () => {
    const deal = dealIds[0]!;
    const a = await shopper();
    const b = await shopper();
    await joinWithPow(a.s, deal);
    await joinWithPow(b.s, deal);
    const passA = (await a.s.waitFor(is('admitted', deal))) as AdmittedMsg;
    const passB = (await b.s.waitFor(is('admitted', deal))) as AdmittedMsg;
    expect(passA.until).toBeGreaterThan(Date.now());
    const grab = async (s: ShopperSocket, rid: string, pass?: string) => {
      s.send({ t: 'grab', deal, qty: 1, rid, ...(pass !== undefined ? { pass } : {}) });
      return (await s.answerTo(rid)) as { t: string; code?: string };
    };
    expect(await grab(a.s, 'none')).toMatchObject({ t: 'refused', code: 'not_admitted' });
    const [payload, sig] = passA.pass.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), exp: Date.now() + 9e6 })).toString('base64url');
    expect(await grab(a.s, 'forged', `${forged}.${sig}`)).toMatchObject({ t: 'refused', code: 'not_admitted' });
    const wrongKey = new AdmissionSigner('x'.repeat(40)).issue(a.id, deal, Date.now() + 60_000);
    expect(await grab(a.s, 'wrongkey', wrongKey)).toMatchObject({ t: 'refused', code: 'not_admitted' });
    const expired = new AdmissionSigner(engine.config.sessionSecret).issue(a.id, deal, Date.now() - 1);
    expect(await grab(a.s, 'expired', expired)).toMatchObject({ t: 'refused', code: 'not_admitted' });
    const otherDeal = new AdmissionSigner(engine.config.sessionSecret).issue(a.id, dealIds[2]!, Date.now() + 60_000);
    expect(await grab(a.s, 'otherdeal', otherDeal)).toMatchObject({ t: 'refused', code: 'not_admitted' });
    // B replays A's pass: bound to A, refused
    expect(await grab(b.s, 'replay', passA.pass)).toMatchObject({ t: 'refused', code: 'not_admitted' });
    expect(await grab(a.s, 'mine', passA.pass)).toMatchObject({ t: 'held' });
    expect(await grab(b.s, 'mineB', passB.pass)).toMatchObject({ t: 'held' });
    a.s.close();
    b.s.close();
  });

  it('a waiter whose socket drops gets its place back on reconnect, without a new proof of work', async () => {
    const deal = dealIds[2]!;
    await new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room).control(deal, { paused: true });
    const a = await shopper();
    const first = await joinWithPow(a.s, deal);
    a.s.close();
    const again = await shopper(a.token);
    again.s.send({ t: 'join', deal });
    const back = (await again.s.waitFor(is('joined', deal))) as JoinedMsg;
    expect(back.number).toBe(first.number);
    expect(again.s.messages.some(is('pow', deal))).toBe(false);
    // and leave ends it: joining again costs a new proof of work
    again.s.send({ t: 'leave', deal });
    await again.s.waitFor(is('left', deal));
    again.s.send({ t: 'join', deal });
    await again.s.waitFor(is('pow', deal));
    again.s.close();
  });

  it('sold out: every waiter is told at once and the room closes', async () => {
    const deal = dealIds[1]!;
    const rooms = new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room);
    await rooms.control(deal, { paused: true });
    const waiters = await Promise.all(Array.from({ length: 6 }, () => shopper()));
    for (const w of waiters) await joinWithPow(w.s, deal);
    await rooms.control(deal, { paused: false });
    // whoever holds number 1 (joins before the room's first tick after the opening are drawn)
    const pass = (await Promise.any(waiters.map((w) => w.s.waitFor(is('admitted', deal))))) as AdmittedMsg;
    expect(pass.number).toBe(1);
    const first = waiters.find((w) => w.s.messages.includes(pass))!;
    first.s.send({ t: 'grab', deal, qty: 1, rid: 'so1', pass: pass.pass });
    const held = (await first.s.answerTo('so1')) as { t: string; hold: string };
    expect(held.t).toBe('held');
    first.s.send({ t: 'pay', hold: held.hold });
    await first.s.waitFor((m) => m.t === 'paid');
    for (const w of waiters) {
      expect(await w.s.waitFor(is('room_closed', deal))).toMatchObject({ reason: 'sold_out' });
      expect(w.s.messages.filter(is('room_closed', deal))).toHaveLength(1);
    }
    // nobody but the first was admitted (one unit)
    expect(waiters.filter((w) => w.s.messages.some(is('admitted', deal)))).toHaveLength(1);
    const late = await shopper();
    late.s.send({ t: 'join', deal });
    expect(await late.s.waitFor(is('room_closed', deal))).toMatchObject({ reason: 'sold_out' });
    for (const w of [...waiters, late]) w.s.close();
  });

  it('serving is one broadcast per room per tick and guest sessions cost a proof of work while a room is on', async () => {
    const a = await shopper();
    await joinWithPow(a.s, dealIds[2]!);
    const serving = await a.s.waitFor(is('serving', dealIds[2]!));
    expect(serving).toMatchObject({ t: 'serving', n: expect.any(Number), waiting: expect.any(Number) });
    const res = await fetch(`${engine.url}/api/session`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('pow_required');
    const { challenge } = (await (await fetch(`${engine.url}/api/session/challenge`)).json()) as { challenge: PowMsg['challenge'] };
    const pow = solvePow(challenge);
    const ok = await fetch(`${engine.url}/api/session`, { method: 'POST', body: JSON.stringify({ pow }) });
    expect(ok.status).toBe(200);
    // spent once
    const replay = await fetch(`${engine.url}/api/session`, { method: 'POST', body: JSON.stringify({ pow }) });
    expect(((await replay.json()) as { code: string }).code).toBe('pow_invalid');
    a.s.close();
  });
});
