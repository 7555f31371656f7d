// Display helpers shared by the shopper elements.
import type { PaymentMethodValue } from '../../../server/src/shared/protocol.ts';
import type { MyHold } from '../data/grab-state.ts';

export { discountPercent, formatMoney, minorUnitDigits, times } from '../../../server/src/shared/money-format.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Time left, rounded up so it reads 0 exactly at the target: "2d 03:04:05", "03:04:05",
 * "04:05", and tenths in the last ten seconds: "9.3s".
 */
export function formatCountdown(leftMs: number): string {
  if (leftMs <= 0) return '0.0s';
  if (leftMs <= 10_000) return `${(Math.ceil(leftMs / 100) / 10).toFixed(1)}s`;
  const total = Math.ceil(leftMs / 1000);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${pad(h)}:${pad(m)}:${pad(s)}`;
  return `${pad(m)}:${pad(s)}`;
}

/** Spoken form for screen readers (the visual one changes ten times a second near the end). */
export function describeCountdown(leftMs: number): string {
  const total = Math.max(0, Math.ceil(leftMs / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d} days`);
  if (h) parts.push(`${h} hours`);
  if (m) parts.push(`${m} minutes`);
  if (s || parts.length === 0) parts.push(`${s} seconds`);
  return parts.join(' ');
}

export const methodLabel: Readonly<Record<PaymentMethodValue, string>> = {
  wallet: 'Wallet',
  card: 'Card',
  cod: 'Cash on delivery',
};

/** An order's state in words: what "paid" means differs with cash on delivery. */
export function orderStatusLabel(h: Pick<MyHold, 'status' | 'expired' | 'method'>): string {
  switch (h.status) {
    case 'pending':
      return 'Awaiting payment';
    case 'paid':
      return h.method === 'cod' ? 'Confirmed · cash on delivery' : h.method ? `Paid · ${methodLabel[h.method]}` : 'Paid';
    case 'cancelled':
      return h.expired ? 'Expired, not paid' : 'Cancelled';
  }
}
