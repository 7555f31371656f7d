// The brand console's REST calls: every one carries the brand's API key.
import type { ApiErrorBody, BrandDealView, BrandFestival } from '../../../server/src/shared/brand-api.ts';

export type { ApiErrorBody, BrandDealView, BrandFestival };

/** README "Waiting room": the settings the brand sets per deal. */
export interface BrandRoomSettings {
  mode: 'off' | 'on' | 'auto';
  outflow: number;
  windowSeconds: number;
  graceSeconds: number;
  autoMultiple: number;
}

export interface BrandRoomReply {
  settings: BrandRoomSettings;
  /** the live line, once the deal is warm in Redis */
  line: { state: string; waiting: number; admittedPerSecond: number; admitted: number; abandoned: number; timeToSoldOutMs: number | null } | null;
}

export class BrandApiError extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody) {
    super(body.message);
  }
}

export class BrandApi {
  constructor(private readonly key: string) {}

  private async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    let parsed: unknown = null;
    try {
      parsed = await res.json();
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const b = (parsed ?? {}) as Partial<ApiErrorBody>;
      throw new BrandApiError(res.status, { ...b, code: b.code ?? `http_${res.status}`, message: b.message ?? `HTTP ${res.status}` });
    }
    return parsed as T;
  }

  me() {
    return this.call<{ brand: { id: string; name: string }; keyId: string }>('GET', '/api/brand/me');
  }
  async festivals() {
    return (await this.call<{ festivals: BrandFestival[] }>('GET', '/api/brand/festivals')).festivals;
  }
  async deals() {
    return (await this.call<{ deals: BrandDealView[] }>('GET', '/api/brand/deals')).deals;
  }
  async create(input: Record<string, unknown>) {
    return (await this.call<{ deal: BrandDealView }>('POST', '/api/brand/deals', input)).deal;
  }
  async update(id: string, patch: Record<string, unknown>) {
    return (await this.call<{ deal: BrandDealView }>('PATCH', `/api/brand/deals/${id}`, patch)).deal;
  }
  async cancel(id: string) {
    return (await this.call<{ deal: BrandDealView }>('POST', `/api/brand/deals/${id}/cancel`)).deal;
  }
  async stop(id: string) {
    return (await this.call<{ deal: BrandDealView }>('POST', `/api/brand/deals/${id}/stop`)).deal;
  }
  /** the deal's waiting room: its settings and, once warm, its line */
  room(id: string) {
    return this.call<BrandRoomReply>('GET', `/api/brand/deals/${id}/room`);
  }
  saveRoom(id: string, settings: Partial<BrandRoomSettings>) {
    return this.call<BrandRoomReply>('PUT', `/api/brand/deals/${id}/room`, settings);
  }
  bulk(csv: string, festivalId: string, dryRun: boolean) {
    const q = new URLSearchParams({ festivalId, ...(dryRun ? { dryRun: '1' } : {}) });
    return this.call<{ created: number; dryRun: boolean; deals: BrandDealView[] }>('POST', `/api/brand/deals/bulk?${q}`, csv, 'text/csv');
  }
}
