// Sends the "Remind me" pushes that are due: the scheduler leader calls `sendDue` about once a
// second. Postgres decides who sends what (claimDueReminders), so a second scheduler that
// believes it leads for a moment still sends no reminder twice.
import webpush from 'web-push';
import type { PushConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import { claimDueReminders, dropSubscription, releaseReminder, type DueReminder } from '../db/reminders-repo.ts';

/** What the service worker (client/src/sw/) shows. */
export interface ReminderPayload {
  title: string;
  body: string;
  deal: string;
  startsAt: number;
  url: string;
}

const BATCH = 200;
const MAX_ATTEMPTS = 3;
const SEND_TIMEOUT_MS = 10_000;

export class ReminderSender {
  private running: Promise<number> | null = null;

  constructor(private readonly push: Readonly<PushConfig>, private readonly pool: Pool, private readonly logger: Logger, private readonly publicUrl: string) {}

  /** One pass: claims what is due and sends it. A pass still running is not doubled. Resolves
   *  to the number of pushes the push services accepted. */
  sendDue(now = Date.now()): Promise<number> {
    this.running ??= this.pass(now).finally(() => { this.running = null; });
    return this.running;
  }

  /** Waits for a pass in flight (on close). */
  async idle(): Promise<void> {
    await this.running?.catch(() => 0);
  }

  private async pass(now: number): Promise<number> {
    let sent = 0;
    for (;;) {
      const due = await claimDueReminders(this.pool, now, this.push.remindBeforeMs, BATCH, MAX_ATTEMPTS);
      const results = await Promise.all(due.map((r) => this.send(r, now)));
      sent += results.filter(Boolean).length;
      if (due.length < BATCH) return sent;
    }
  }

  private async send(r: DueReminder, now: number): Promise<boolean> {
    const minutes = Math.max(0, Math.round((r.startsAt - now) / 60_000));
    const payload: ReminderPayload = {
      title: `${r.title} opens ${minutes > 0 ? `in ${minutes} min` : 'now'}`,
      body: `${r.brand}: be ready when the countdown ends.`,
      deal: r.dealId,
      startsAt: r.startsAt,
      url: new URL('/', this.publicUrl).href,
    };
    // web-push makes the VAPID header and the RFC 8291 body; the request is ours, since its own
    // sender speaks only https (a push service on http is a test's, by PUSH_ENDPOINT_ALLOW).
    const request = webpush.generateRequestDetails({ endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } }, JSON.stringify(payload), {
      vapidDetails: { subject: this.push.vapidSubject, publicKey: this.push.vapidPublicKey, privateKey: this.push.vapidPrivateKey },
      // worthless once the deal is open: the push service may drop it after that
      TTL: Math.max(60, Math.ceil((r.startsAt - now) / 1000)),
      urgency: 'high',
      contentEncoding: 'aes128gcm',
    });
    let status = 0;
    try {
      const res = await fetch(request.endpoint, {
        method: 'POST', headers: request.headers as Record<string, string>, body: new Uint8Array(request.body),
        redirect: 'error', signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
    } catch (err) {
      this.logger.warn({ err, deal: r.dealId }, 'reminders: push service unreachable');
    }
    if (status === 404 || status === 410) {
      // the browser unsubscribed: every reminder of that subscription goes with it
      await dropSubscription(this.pool, r.subscriptionId);
      this.logger.info({ deal: r.dealId, status }, 'reminders: subscription gone, dropped');
    } else {
      await releaseReminder(this.pool, r.subscriptionId, r.dealId);
      if (status) this.logger.warn({ deal: r.dealId, status, attempt: r.attempts }, 'reminders: push refused');
    }
    return false;
  }
}
