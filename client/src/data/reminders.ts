// "Remind me" on a deal that has not opened: the page's service worker subscribes to Web Push
// with the engine's VAPID key, and the subscription goes to POST /api/reminders with the deal;
// the scheduler pushes the reminder shortly before the deal opens (README: Reminders).
import { getSession } from './session.ts';

export type ReminderResult = 'set' | 'denied' | 'off' | 'failed';

const storageKey = 'ff.reminders';

/** Whether this browser can take a push at all (iOS only from the home screen). */
export function remindersSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function remembered(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(storageKey) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

/** A reminder this browser already asked for (the server keeps the truth; this only saves a tap). */
export function hasReminder(deal: string): boolean {
  return remembered().has(deal);
}

function remember(deal: string): void {
  const all = remembered();
  all.add(deal);
  try {
    localStorage.setItem(storageKey, JSON.stringify([...all].slice(-200)));
  } catch {
    /* storage disabled: the button forgets after a reload, the reminder stands */
  }
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function remindMe(deal: string): Promise<ReminderResult> {
  if (!remindersSupported()) return 'off';
  if ((await Notification.requestPermission()) !== 'granted') return 'denied';
  try {
    const keyRes = await fetch('/api/reminders/key');
    if (keyRes.status === 503) return 'off';
    if (!keyRes.ok) return 'failed';
    const { publicKey } = (await keyRes.json()) as { publicKey: string };
    const reg = await navigator.serviceWorker.ready;
    const subscription = (await reg.pushManager.getSubscription())
      ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
    const session = await getSession();
    const res = await fetch('/api/reminders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ deal, subscription: subscription.toJSON() }),
    });
    if (!res.ok) return res.status === 503 ? 'off' : 'failed';
    remember(deal);
    return 'set';
  } catch {
    return 'failed';
  }
}
