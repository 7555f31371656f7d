// "Remind me", end to end: a shopper's subscription goes in through the API, the scheduler
// leader sends the reminder REMIND_BEFORE_MS before the deal opens, and a push service in the
// test receives it, checks its VAPID signature and decrypts it as the browser would (RFC 8291).
// Each reminder arrives once, with two schedulers running and two more senders racing them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { ReminderSender, type ReminderPayload } from '../../src/reminders/reminder-sender.ts';
import { newSession, seedDeals, startEngine, startEngineIn, type RunningEngine } from '../helpers/engine.ts';
import { startPushService, vapidKeys, type PushService, type PushSubscriptionJson } from '../helpers/push-service.ts';
import { waitFor } from '../helpers/test-env.ts';

const REMIND_BEFORE_MS = 3_000;

describe('push reminders', () => {
  let push: PushService;
  let engine: RunningEngine;
  let standby: RunningEngine;
  let token: string;
  const vapid = vapidKeys();

  beforeAll(async () => {
    push = await startPushService();
    const env = {
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: 'mailto:ops@shop.example',
      REMIND_BEFORE_MS: String(REMIND_BEFORE_MS), PUSH_ENDPOINT_ALLOW: push.url,
    };
    engine = await startEngine(env);
    // a second scheduler: it stands by, and must never send what the leader sent
    standby = await startEngineIn(engine.env, { ...env, FF_ROLE: 'scheduler' });
    token = (await newSession(engine.url)).token;
  }, 60_000);

  afterAll(async () => {
    await standby?.stop();
    await engine?.stop();
    await engine?.env.cleanup();
    await push?.close();
  });

  const remind = (deal: string, subscription: unknown, auth: string | null = token) =>
    fetch(`${engine.url}/api/reminders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify({ deal, subscription }),
    });
  const error = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { code: string }).code });
  const pushesFor = (deal: string) => push.received.filter((p) => (JSON.parse(p.text) as ReminderPayload).deal === deal);

  it('gives the page the VAPID public key and refuses bad requests with a code', async () => {
    const key = (await (await fetch(`${engine.url}/api/reminders/key`)).json()) as { publicKey: string; remindBeforeMs: number };
    expect(key).toEqual({ publicKey: vapid.publicKey, remindBeforeMs: REMIND_BEFORE_MS });

    const { dealIds: [later, open] } = await seedDeals(engine.env.pool, [
      { title: 'Later', stock: 5, limit: 1, startsIn: 3_600_000 },
      { title: 'Open', stock: 5, limit: 1, startsIn: -60_000 },
    ]);
    const sub = push.subscribe('refusals');
    expect(await error(await remind(later!, sub, null))).toEqual({ status: 401, code: 'unauthorized' });
    expect(await error(await remind(later!, { endpoint: sub.endpoint }))).toEqual({ status: 400, code: 'invalid' });
    expect(await error(await remind('x1', sub))).toEqual({ status: 400, code: 'invalid' });
    // a shopper's word never makes the engine contact a host of their choosing
    for (const endpoint of ['https://evil.example/push', 'http://169.254.169.254/latest', 'https://fcm.googleapis.com.evil.example/x']) {
      expect(await error(await remind(later!, { ...sub, endpoint })), endpoint).toEqual({ status: 400, code: 'push_endpoint_refused' });
    }
    expect(await error(await remind(open!, sub))).toEqual({ status: 409, code: 'deal_open' });
    expect(await error(await remind('999999999', sub))).toEqual({ status: 404, code: 'unknown_deal' });
    const bad = await fetch(`${engine.url}/api/reminders`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{' });
    expect(await error(bad)).toEqual({ status: 400, code: 'bad_json' });
  });

  it('pushes each reminder once, REMIND_BEFORE_MS before opening, encrypted for its browser', async () => {
    const { dealIds: [soon, later] } = await seedDeals(engine.env.pool, [
      { title: 'Lahore Lawn Suit', stock: 5, limit: 1, startsIn: 6_000 },
      { title: 'Much Later', stock: 5, limit: 1, startsIn: 3_600_000 },
    ]);
    const phone = push.subscribe('phone');
    const laptop = push.subscribe('laptop');
    for (const sub of [phone, laptop]) {
      const res = await remind(soon!, sub);
      expect(res.status).toBe(201);
      const body = (await res.json()) as { deal: string; remindAt: number };
      expect(body.deal).toBe(soon);
    }
    expect((await remind(soon!, phone)).status).toBe(201); // asked twice: one reminder
    expect((await remind(later!, phone)).status).toBe(201);

    const startsAt = (await engine.env.pool.query<{ starts_at: Date }>('SELECT starts_at FROM deals WHERE id = $1', [soon])).rows[0]!.starts_at.getTime();
    await waitFor(() => pushesFor(soon!).length >= 2, 'two reminders', 15_000);
    const firstAt = Date.now();
    // not before its time (the check runs once a second)
    expect(firstAt).toBeGreaterThanOrEqual(startsAt - REMIND_BEFORE_MS);
    expect(push.rejected).toEqual([]);

    const got = pushesFor(soon!);
    expect(got.map((p) => p.browser).sort()).toEqual(['laptop', 'phone']);
    for (const p of got) {
      const payload = JSON.parse(p.text) as ReminderPayload;
      expect(payload.title).toMatch(/^Lahore Lawn Suit opens (in \d+ min|now)$/);
      expect(payload.body).toBe('Test Brand: be ready when the countdown ends.');
      expect(payload.startsAt).toBe(startsAt);
      expect(payload.url).toBe(`${engine.config.publicUrl.replace(/\/$/, '')}/`);
      expect(p.vapid).toMatchObject({ aud: push.url, sub: 'mailto:ops@shop.example', k: vapid.publicKey });
      expect(p.headers['urgency']).toBe('high');
    }

    // the leader looks again every second, the standby is there too: still one each, and the
    // deal an hour away is not reminded of yet
    await new Promise((r) => setTimeout(r, 2_500));
    expect(pushesFor(soon!)).toHaveLength(2);
    expect(pushesFor(later!)).toHaveLength(0);
    const { rows } = await engine.env.pool.query<{ deal_id: string; sent: boolean }>(
      'SELECT deal_id, sent_at IS NOT NULL AS sent FROM deal_reminders ORDER BY deal_id');
    expect(rows.filter((r) => String(r.deal_id) === soon).every((r) => r.sent)).toBe(true);
    expect(rows.filter((r) => String(r.deal_id) === later).every((r) => !r.sent)).toBe(true);
  }, 30_000);

  it('sends a reminder once when several senders claim at the same moment (the Postgres guard)', async () => {
    const { dealIds: [deal] } = await seedDeals(engine.env.pool, [{ title: 'Race', stock: 5, limit: 1, startsIn: 2_500 }]);
    const subs: PushSubscriptionJson[] = [];
    for (let i = 0; i < 30; i++) subs.push(push.subscribe(`race-${i}`));
    // stored straight away, so the race below starts with all 30 due
    await Promise.all(subs.map(async (s) => expect((await remind(deal!, s)).status).toBe(201)));
    const logger = createLogger('silent');
    const senders = [0, 1, 2].map(() => new ReminderSender(engine.config.push!, engine.env.pool, logger, engine.config.publicUrl));
    await Promise.all(senders.map((s) => s.sendDue()));
    await waitFor(() => pushesFor(deal!).length >= 30, '30 reminders', 10_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const browsers = pushesFor(deal!).map((p) => p.browser);
    expect(browsers).toHaveLength(30);
    expect(new Set(browsers).size).toBe(30);
  }, 30_000);

  it('forgets a subscription the push service says is gone (410)', async () => {
    const { dealIds: [deal] } = await seedDeals(engine.env.pool, [{ title: 'Gone', stock: 5, limit: 1, startsIn: 2_500 }]);
    const sub = push.subscribe('uninstalled');
    push.answer('uninstalled', 410);
    expect((await remind(deal!, sub)).status).toBe(201);
    await waitFor(async () => {
      const { rowCount } = await engine.env.pool.query('SELECT 1 FROM push_subscriptions WHERE endpoint = $1', [sub.endpoint]);
      return rowCount === 0;
    }, 'the subscription dropped', 10_000);
    expect((await engine.env.pool.query('SELECT 1 FROM deal_reminders WHERE deal_id = $1', [deal])).rowCount).toBe(0);
  }, 30_000);
});
