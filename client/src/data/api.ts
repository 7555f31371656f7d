// The shopper's REST calls. Live state comes over the socket; these fill the first paint and
// restore the shopper's orders after a reload.
import type { FestivalView, OrderView, OrderStatus } from '../../../server/src/shared/protocol.ts';

export type { OrderStatus };
export type OrderRow = OrderView;

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  if (!res.ok) {
    let code = 'http_' + res.status;
    let message = `${path}: HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { code?: string; message?: string };
      code = body.code ?? code;
      message = body.message ?? message;
    } catch {
      /* body was not JSON; keep the status */
    }
    throw new HttpError(res.status, code, message);
  }
  return (await res.json()) as T;
}

/** The running or next festival, or null when there is none (404 no_festival). */
export async function fetchCurrentFestival(): Promise<FestivalView | null> {
  try {
    return await getJson<FestivalView>('/api/festivals/current');
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null;
    throw err;
  }
}

export async function fetchOrders(token: string): Promise<OrderRow[]> {
  const body = await getJson<{ orders: OrderRow[] }>('/api/orders', {
    headers: { authorization: `Bearer ${token}` },
  });
  return body.orders;
}
