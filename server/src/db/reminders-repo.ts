// Push subscriptions and deal reminders (migration 006).
import type { Pool } from './pool.ts';

export interface PushSubscriptionRow {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** Stores the subscription (a browser re-subscribing keeps its endpoint: keys are updated) and
 *  the reminder; asking twice for one deal is one reminder. */
export async function addReminder(pool: Pool, shopperId: string, sub: PushSubscriptionRow, dealId: string): Promise<void> {
  await pool.query(
    `WITH s AS (
       INSERT INTO push_subscriptions (endpoint, p256dh, auth, shopper_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, shopper_id = EXCLUDED.shopper_id
       RETURNING id)
     INSERT INTO deal_reminders (subscription_id, deal_id) SELECT id, $5 FROM s
     ON CONFLICT (subscription_id, deal_id) DO NOTHING`,
    [sub.endpoint, sub.p256dh, sub.auth, shopperId, dealId]);
}

export interface DueReminder extends PushSubscriptionRow {
  subscriptionId: string;
  dealId: string;
  title: string;
  brand: string;
  startsAt: number;
  attempts: number;
}

/**
 * Claims up to `limit` reminders whose deal opens within `beforeMs` of `now` and has not ended:
 * one UPDATE sets their sent_at, so two schedulers never both get one (SKIP LOCKED lets the
 * second take other rows instead of waiting). A claimed reminder that cannot be sent is given
 * back with `release`.
 */
export async function claimDueReminders(pool: Pool, now: number, beforeMs: number, limit: number, maxAttempts: number): Promise<DueReminder[]> {
  const { rows } = await pool.query<{
    subscription_id: string; deal_id: string; endpoint: string; p256dh: string; auth: string;
    title: string; brand: string; starts_at: Date; attempts: number;
  }>(
    `WITH due AS (
       SELECT r.subscription_id, r.deal_id FROM deal_reminders r JOIN deals d ON d.id = r.deal_id
        WHERE r.sent_at IS NULL AND r.attempts < $4
          AND d.state NOT IN ('cancelled', 'stopped', 'ended', 'sold_out')
          AND d.starts_at <= to_timestamp(($1::float8 + $2) / 1000.0) AND d.ends_at > to_timestamp($1::float8 / 1000.0)
        ORDER BY d.starts_at LIMIT $3
        FOR UPDATE OF r SKIP LOCKED)
     UPDATE deal_reminders r SET sent_at = now(), attempts = r.attempts + 1
       FROM due, push_subscriptions s, deals d, brands b
      WHERE r.subscription_id = due.subscription_id AND r.deal_id = due.deal_id
        AND s.id = r.subscription_id AND d.id = r.deal_id AND b.id = d.brand_id
     RETURNING r.subscription_id, r.deal_id, s.endpoint, s.p256dh, s.auth, d.title, b.name AS brand, d.starts_at, r.attempts`,
    [now, beforeMs, limit, maxAttempts]);
  return rows.map((r) => ({
    subscriptionId: String(r.subscription_id), dealId: String(r.deal_id), endpoint: r.endpoint, p256dh: r.p256dh,
    auth: r.auth, title: r.title, brand: r.brand, startsAt: r.starts_at.getTime(), attempts: r.attempts,
  }));
}

/** A send that failed for now: the next pass tries again (up to the attempts limit). */
export async function releaseReminder(pool: Pool, subscriptionId: string, dealId: string): Promise<void> {
  await pool.query('UPDATE deal_reminders SET sent_at = NULL WHERE subscription_id = $1 AND deal_id = $2', [subscriptionId, dealId]);
}

/** The push service says the subscription is gone (404/410): forget it and its reminders. */
export async function dropSubscription(pool: Pool, subscriptionId: string): Promise<void> {
  await pool.query('DELETE FROM push_subscriptions WHERE id = $1', [subscriptionId]);
}
