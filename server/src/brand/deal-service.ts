// What a brand can do to its deals. Each change: validated in full, written in one transaction
// together with its audit row, then announced on dealChanged so the scheduler and every gateway
// pick it up without a restart.
import type { Pool } from '../db/pool.ts';
import { AppError, Errors, FieldCode, type ErrorDef } from '../errors.ts';
import { DealState, type DealStateValue } from '../shared/protocol.ts';
import type { StockStore } from '../stock/stock-store.ts';
import {
  changeDealState, getBrandDeal, inTransaction, insertAudit, insertDeal, listBrandDeals, listOpenFestivals,
  updateDealPaymentMethods, updateScheduledDeal, type StoredDeal,
} from '../db/brand-deals-repo.ts';
import { checkPaymentMethods, dealAsInput, validateDeal, type ValidationContext } from './validation.ts';
import { parseDealsCsv } from './csv.ts';
import type { ApiErrorBody, BrandDealView, BrandFestival, FieldError, RowError } from '../shared/brand-api.ts';

export interface BrandCaller {
  brandId: string;
  brandName: string;
  keyId: string;
}

export class BrandApiError extends AppError {
  constructor(def: ErrorDef, message?: string, readonly extra: Partial<ApiErrorBody> = {}) {
    super(def, message);
  }
}

export interface BrandServiceDeps {
  pool: Pool;
  stock: StockStore;
  /** tells the scheduler and every gateway that a deal changed (the dealChanged channel) */
  announceDealChanged(dealId: string, festivalId: string): Promise<void>;
  prewarmSeconds: number;
  defaultHoldSeconds: number;
  /** engine time (Redis clock), epoch ms */
  now(): number;
}

/** States whose counters live in Redis. */
const WARMED: ReadonlySet<DealStateValue> = new Set([DealState.Warming, DealState.Live, DealState.SoldOut, DealState.Ended, DealState.Stopped]);
const CANCELLABLE: readonly DealStateValue[] = [DealState.Scheduled, DealState.Warming];
const STOPPABLE: readonly DealStateValue[] = [DealState.Warming, DealState.Live, DealState.SoldOut];
/** States in which a hold may still be paid, so how it is paid may still change (alone). */
const PAYMENT_EDITABLE: readonly DealStateValue[] = [DealState.Scheduled, ...STOPPABLE, DealState.Stopped];
/** Edits stop this long before the scheduler may warm a deal, so a warm never sees half an edit. */
const EDIT_MARGIN_MS = 1_000;

export class BrandDealService {
  constructor(private readonly d: BrandServiceDeps) {}

  /** Edits are refused for deals that start before this instant (warming is imminent). */
  private lockedFrom(now: number): number {
    return now + this.d.prewarmSeconds * 1000 + EDIT_MARGIN_MS;
  }

  festivals(): Promise<BrandFestival[]> {
    return listOpenFestivals(this.d.pool, this.d.now());
  }

  async list(caller: BrandCaller, festivalId?: string): Promise<BrandDealView[]> {
    return this.views(await listBrandDeals(this.d.pool, caller.brandId, festivalId));
  }

  async get(caller: BrandCaller, dealId: string): Promise<BrandDealView> {
    const deal = await this.find(caller, dealId);
    return (await this.views([deal]))[0]!;
  }

  async create(caller: BrandCaller, input: unknown): Promise<BrandDealView> {
    const v = validateDeal(input, await this.validationContext());
    if (!v.ok) throw new BrandApiError(Errors.validationFailed, validationMessage(v.errors), { errors: v.errors });
    const deal = await inTransaction(this.d.pool, async (c) => {
      const created = await insertDeal(c, caller.brandId, v.deal);
      await insertAudit(c, [{ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.create', dealId: created.id, before: null, after: created }]);
      return created;
    });
    await this.announce(deal);
    return (await this.views([deal]))[0]!;
  }

  async update(caller: BrandCaller, dealId: string, patch: unknown): Promise<BrandDealView> {
    const before = await this.find(caller, dealId);
    if (isPaymentMethodsOnly(patch)) return this.updatePaymentMethods(caller, before, patch.paymentMethods);
    const now = this.d.now();
    if (before.state !== DealState.Scheduled || before.startsAt <= this.lockedFrom(now)) throw this.locked(before);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new BrandApiError(Errors.validationFailed, 'The body must be a JSON object of the fields to change.', {
        errors: [{ field: '', code: FieldCode.WrongType, message: 'The body must be a JSON object of the fields to change.' }],
      });
    }
    const v = validateDeal({ ...dealAsInput(before), ...patch }, await this.validationContext());
    if (!v.ok) throw new BrandApiError(Errors.validationFailed, validationMessage(v.errors), { errors: v.errors });
    const next = { ...v.deal };
    if ((patch as Record<string, unknown>).holdMinutes === undefined) next.holdSeconds = before.holdSeconds;
    const after = await inTransaction(this.d.pool, async (c) => {
      const updated = await updateScheduledDeal(c, caller.brandId, dealId, next, this.lockedFrom(this.d.now()));
      if (!updated) return null;
      await insertAudit(c, [{ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.update', dealId, before, after: updated }]);
      return updated;
    });
    if (!after) throw this.locked((await getBrandDeal(this.d.pool, caller.brandId, dealId)) ?? before);
    await this.announce(after);
    if (after.festivalId !== before.festivalId) await this.announce(before);
    return (await this.views([after]))[0]!;
  }

  /** Payment methods touch no stock, so they may change while holds can still be paid (a live
   *  deal too); every gateway reloads the deal on dealChanged and checkout offers the new set. */
  private async updatePaymentMethods(caller: BrandCaller, before: StoredDeal, input: unknown): Promise<BrandDealView> {
    const errors: FieldError[] = [];
    const methods = checkPaymentMethods(input, '`paymentMethods`', (field, code, message) => errors.push({ field, code, message }));
    if (!methods) throw new BrandApiError(Errors.validationFailed, validationMessage(errors), { errors });
    const after = await inTransaction(this.d.pool, async (c) => {
      const updated = await updateDealPaymentMethods(c, caller.brandId, before.id, methods, PAYMENT_EDITABLE);
      if (updated) await insertAudit(c, [{ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.update', dealId: before.id, before, after: updated }]);
      return updated;
    });
    if (!after) {
      const cur = await this.find(caller, before.id);
      throw new BrandApiError(Errors.dealLocked, `Deal ${cur.id} is ${cur.state}: its payment methods can no longer change.`);
    }
    await this.announce(after);
    return (await this.views([after]))[0]!;
  }

  /** Withdraws a deal that has not opened: shoppers no longer see it. */
  async cancel(caller: BrandCaller, dealId: string): Promise<BrandDealView> {
    await this.find(caller, dealId);
    const changed = await inTransaction(this.d.pool, async (c) => {
      const r = await changeDealState(c, caller.brandId, dealId, { from: CANCELLABLE, to: DealState.Cancelled, startsAfter: this.d.now() });
      if (r) await insertAudit(c, [{ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.cancel', dealId, before: r.before, after: r.after }]);
      return r;
    });
    if (!changed) {
      const cur = await this.find(caller, dealId);
      throw new BrandApiError(Errors.dealState, `Deal ${dealId} is ${cur.state}${cur.state === DealState.Live || cur.state === DealState.Warming ? ' and has opened: stop it instead' : ''}; only a deal that has not opened can be cancelled.`);
    }
    // A warmed deal refuses grabs at once (the scheduler also re-asserts this if it raced us).
    await this.d.stock.setStatus(dealId, 'cancelled');
    await this.announce(changed.after);
    return (await this.views([changed.after]))[0]!;
  }

  /** Kill switch: no more grabs; holds already made stay payable until they expire. */
  async stop(caller: BrandCaller, dealId: string): Promise<BrandDealView> {
    await this.find(caller, dealId);
    const counters = await this.d.stock.readDeal(dealId);
    const changed = await inTransaction(this.d.pool, async (c) => {
      const r = await changeDealState(c, caller.brandId, dealId, {
        from: STOPPABLE, to: DealState.Stopped,
        ...(counters ? { final: { held: counters.held, sold: counters.sold, available: counters.available } } : {}),
      });
      if (r) await insertAudit(c, [{ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.stop', dealId, before: r.before, after: r.after }]);
      return r;
    });
    if (!changed) {
      const cur = await this.find(caller, dealId);
      throw new BrandApiError(Errors.dealState, `Deal ${dealId} is ${cur.state}${cur.state === DealState.Scheduled ? ': cancel it instead' : ''}; only a warming, live or sold-out deal can be stopped.`);
    }
    await this.d.stock.setStatus(dealId, 'stopped');
    await this.announce(changed.after);
    return (await this.views([changed.after]))[0]!;
  }

  /** All rows or none: every row is validated first, then all are inserted in one transaction. */
  async bulk(caller: BrandCaller, csv: string, opts: { festivalId?: string; dryRun?: boolean }): Promise<{ created: number; dryRun: boolean; deals: BrandDealView[] }> {
    const parsed = parseDealsCsv(csv, opts.festivalId ? { festivalId: opts.festivalId } : {});
    if (!parsed.ok) throw new BrandApiError(Errors.csvInvalid, csvMessage(parsed.errors), { rows: parsed.errors });
    const columns = parsed.columns;
    const ctx: ValidationContext = { ...await this.validationContext(), fieldName: (f) => columns[f] ?? f };
    const rowErrors: RowError[] = [];
    const valid = parsed.rows.flatMap((r) => {
      const v = validateDeal(r.input, ctx);
      if (v.ok) return [v.deal];
      for (const e of v.errors) rowErrors.push({ row: r.row, line: r.line, ...e });
      return [];
    });
    if (rowErrors.length) throw new BrandApiError(Errors.csvInvalid, csvMessage(rowErrors), { rows: rowErrors });
    if (opts.dryRun) return { created: 0, dryRun: true, deals: [] };
    const created = await inTransaction(this.d.pool, async (c) => {
      const out: StoredDeal[] = [];
      for (const d of valid) out.push(await insertDeal(c, caller.brandId, d));
      await insertAudit(c, out.map((d) => ({ brandId: caller.brandId, keyId: caller.keyId, action: 'deal.create.csv', dealId: d.id, before: null, after: d })));
      return out;
    });
    for (const fid of new Set(created.map((d) => d.festivalId))) {
      await this.d.announceDealChanged(created.find((d) => d.festivalId === fid)!.id, fid);
    }
    return { created: created.length, dryRun: false, deals: await this.views(created) };
  }

  private async find(caller: BrandCaller, dealId: string): Promise<StoredDeal> {
    const deal = /^\d{1,18}$/.test(dealId) ? await getBrandDeal(this.d.pool, caller.brandId, dealId) : null;
    // the same answer for another brand's deal as for none: no existence leak
    if (!deal) throw new BrandApiError(Errors.notFound, 'No such deal.');
    return deal;
  }

  private locked(deal: StoredDeal): BrandApiError {
    return new BrandApiError(Errors.dealLocked, deal.state === DealState.Scheduled
      ? `Deal ${deal.id} starts within ${this.d.prewarmSeconds + 1} s and is about to warm: it can no longer be edited (cancel it instead).`
      : `Deal ${deal.id} is ${deal.state}: it can no longer be edited${deal.state === DealState.Live ? ' (stop it instead)' : ''}.`);
  }

  private async validationContext(): Promise<ValidationContext> {
    const festivals = new Map((await this.festivals()).map((f) => [f.id, f]));
    return { now: this.d.now(), festival: (id) => festivals.get(id), defaultHoldSeconds: this.d.defaultHoldSeconds };
  }

  private announce(deal: StoredDeal): Promise<void> {
    return this.d.announceDealChanged(deal.id, deal.festivalId);
  }

  private async views(deals: StoredDeal[]): Promise<BrandDealView[]> {
    const counters = await this.d.stock.readCounters(deals.filter((d) => WARMED.has(d.state)).map((d) => d.id));
    const now = this.d.now();
    const lockedFrom = this.lockedFrom(now);
    return deals.map((d) => {
      const live = counters.get(d.id);
      const c = live ?? d.final ?? { held: 0, sold: 0, available: d.stock };
      const { brandId: _b, final: _f, ...rest } = d;
      return {
        ...rest, held: c.held, sold: c.sold, available: c.available, gmvMinor: c.sold * d.dealPriceMinor,
        warmBuckets: live?.buckets ?? null,
        editable: d.state === DealState.Scheduled && d.startsAt > lockedFrom,
        cancellable: CANCELLABLE.includes(d.state) && d.startsAt > now,
        stoppable: STOPPABLE.includes(d.state),
        paymentEditable: PAYMENT_EDITABLE.includes(d.state),
      };
    });
  }
}

function isPaymentMethodsOnly(patch: unknown): patch is { paymentMethods: unknown } {
  return typeof patch === 'object' && patch !== null && !Array.isArray(patch)
    && Object.keys(patch).length === 1 && 'paymentMethods' in patch;
}

function validationMessage(errors: readonly { message: string }[]): string {
  return errors.length === 1 ? errors[0]!.message : `${errors.length} fields are not valid: ${errors.map((e) => e.message).slice(0, 3).join(' ')}`;
}

function csvMessage(rows: readonly RowError[]): string {
  const bad = new Set(rows.map((r) => r.row)).size;
  return `Nothing was created: ${rows.length} problem(s) in ${bad} row(s). First: row ${rows[0]!.row}: ${rows[0]!.message}`;
}
