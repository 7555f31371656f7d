import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type BrandApi, type BrandDealView, type BrandFestival } from '../data/brand-api.ts';
import { minorUnitDigits } from './format.ts';
import { NO_PAYMENT_METHOD, describeFieldError, formatFormTime, formErrorsOf, formTimeZone, paymentMethodLabel } from './brand-terms.ts';
import { brandFormStyles } from './brand-form-styles.ts';
import { BUCKETS_HELP, bucketsInput, bucketsLockedReason, bucketsText, describeBucketsError } from './brand-buckets.ts';
import type { PaymentMethodValue } from '../../../server/src/shared/protocol.ts';

/** The boxes a new deal starts with: what the API gives a deal that names none. */
const DEFAULT_METHODS: readonly PaymentMethodValue[] = ['wallet', 'card'];
const METHODS = Object.keys(paymentMethodLabel) as PaymentMethodValue[];


/** "649.99" in a currency with `digits` minor digits -> minor units; a non-integer result when the
 *  amount has more decimals than the currency, so the server names the field. */
export function toMinor(amount: string, currency: string): number | string {
  const digits = minorUnitDigits(currency);
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(amount.replace(/,/g, ''));
  if (!m) return amount;
  const frac = m[2] ?? '';
  if (frac.length > digits && /[1-9]/.test(frac.slice(digits))) return Number(`${m[1]}.${frac}`) * 10 ** digits;
  return Number(m[1] + frac.slice(0, digits).padEnd(digits, '0'));
}

export function fromMinor(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}

const pad = (n: number) => String(n).padStart(2, '0');
/** epoch ms -> the value of an <input type="datetime-local"> (local time, to the second). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ceilTo = (t: number, step: number) => Math.ceil(t / step) * step;

/** A new deal's suggested window, inside festival `f`: an hour from now for an hour (time to fill
 *  the form before edits lock), moved to the festival's start, and cut at its end; a festival
 *  that ends sooner gets a start 5 minutes from now. Whole seconds: the inputs drop milliseconds,
 *  which must not round a start to before the festival. */
export function defaultDealTimes(f: BrandFestival, now: number): { startsAt: number; endsAt: number } {
  const opens = ceilTo(f.startsAt, 1000);
  let startsAt = Math.max(ceilTo(now + HOUR, MINUTE), opens);
  if (startsAt + MINUTE > f.endsAt) startsAt = Math.max(ceilTo(now + 5 * MINUTE, MINUTE), opens);
  return { startsAt, endsAt: Math.min(startsAt + HOUR, Math.floor(f.endsAt / 1000) * 1000) };
}

type Errors = Partial<Record<string, string>>;

/**
 * Create or edit one deal. Server validation errors appear next to their field; the element
 * fires `saved` (detail: the deal) and `close`.
 */
@customElement('brand-deal-form')
export class BrandDealForm extends LitElement {
  static override styles = [brandFormStyles, css`
    fieldset { border: 1px solid #c4c4cc; border-radius: 6px; margin: 0; padding: 0.4rem 0.75rem 0.6rem; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; }
    fieldset[aria-invalid='true'] { border-color: #b00020; background: #fff5f6; }
    legend { font-size: 0.8125rem; font-weight: 600; color: #33333d; padding: 0 0.25rem; }
    fieldset label { flex-direction: row; align-items: center; gap: 0.35rem; font-weight: 400; }
    fieldset .err, fieldset .hint { flex-basis: 100%; }
  `];

  @property({ attribute: false }) api: BrandApi | null = null;
  @property({ attribute: false }) festivals: BrandFestival[] = [];
  /** the deal being edited; null = create */
  @property({ attribute: false }) deal: BrandDealView | null = null;
  @state() private errors: Errors = {};
  @state() private summary: string | null = null;
  @state() private busy = false;
  /** the festival picked for a new deal (null: the first one, as the select shows) */
  @state() private festivalId: string | null = null;
  /** a new deal's suggested times, kept once the brand touches a time so a later festival
   *  change or a poll never overwrites what was typed */
  private suggested: { festivalId: string; startsAt: number; endsAt: number } | null = null;
  private timesTouched = false;

  override willUpdate(changed: PropertyValues<this>) {
    // another deal, or a new one: nothing of the last one's errors or suggestions carries over
    if (changed.has('deal')) {
      this.errors = {};
      this.summary = null;
      this.festivalId = null;
      this.suggested = null;
      this.timesTouched = false;
    }
  }

  private newDealTimes(): { startsAt: number; endsAt: number } {
    const f = this.festivals.find((x) => x.id === this.festivalId) ?? this.festivals[0];
    if (!f) return this.suggested ?? { startsAt: Date.now() + HOUR, endsAt: Date.now() + 2 * HOUR };
    if (!this.suggested || (!this.timesTouched && this.suggested.festivalId !== f.id)) {
      this.suggested = { festivalId: f.id, ...defaultDealTimes(f, Date.now()) };
    }
    return this.suggested;
  }

  private field(name: string, label: string, input: unknown, hint?: string, wide = false) {
    const err = this.errors[name];
    return html`<label class=${wide ? 'wide' : ''}>${label}${input}
      ${hint ? html`<span class="hint">${hint}</span>` : nothing}
      ${err ? html`<span class="err" role="alert" data-testid="error-${name}">${err}</span>` : nothing}</label>`;
  }

  /** The three payment boxes, at least one to be ticked; a deal that has opened shows only these. */
  private paymentMethods(d: BrandDealView | null) {
    const ticked = d?.paymentMethods ?? DEFAULT_METHODS;
    const err = this.errors.paymentMethods;
    return html`<fieldset class="wide" aria-invalid=${err ? 'true' : 'false'} data-testid="payment-methods">
      <legend>How shoppers may pay</legend>
      ${METHODS.map((m) => html`<label><input type="checkbox" name="paymentMethods" value=${m} .checked=${ticked.includes(m)}
        data-testid="method-${m}" />${paymentMethodLabel[m]}</label>`)}
      ${d && !d.editable ? html`<span class="hint">The deal has opened: only how shoppers pay can still change, and checkout offers the new choice at once.</span>` : nothing}
      ${err ? html`<span class="err" role="alert" data-testid="error-paymentMethods">${err}</span>` : nothing}
    </fieldset>`;
  }

  /** Optional: blank leaves the count to the engine's rule. Once the deal is locked (about to
   *  warm, or warm in Redis) the count is fixed, so the field shows it disabled, with why. */
  private stockBuckets(d: BrandDealView | null) {
    const locked = d ? bucketsLockedReason(d) : null;
    // the count Redis chose is not the brand's to send back: it shows as the placeholder, "auto (3)"
    const input = html`<input name="stockBuckets" inputmode="numeric" placeholder=${d?.stockBuckets === null ? bucketsText(d) : 'auto'} data-testid="stock-buckets"
      .value=${d?.stockBuckets == null ? '' : String(d.stockBuckets)} ?disabled=${locked !== null}
      aria-invalid=${this.errors.stockBuckets ? 'true' : 'false'} />`;
    if (locked === null) return this.field('stockBuckets', 'Stock buckets (optional)', input, BUCKETS_HELP);
    return html`<label>Stock buckets${input}<span class="hint" data-testid="stock-buckets-locked">${locked}</span></label>`;
  }

  private actions(d: BrandDealView | null) {
    return html`<div class="actions">
      <button class="primary" type="submit" ?disabled=${this.busy} data-testid="save-deal">${d ? 'Save changes' : 'Create deal'}</button>
      <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('close'))}>Close</button>
      ${this.summary ? html`<span class="summary" data-testid="form-summary">${this.summary}</span>` : nothing}
    </div>`;
  }

  override render() {
    const d = this.deal;
    if (d && !d.editable) {
      return html`<h2>Payment methods of deal #${d.id} "${d.title}"</h2>
        <form @submit=${this.submit} novalidate>${this.paymentMethods(d)}${this.stockBuckets(d)}${this.actions(d)}</form>`;
    }
    const cur = d?.currency ?? 'PKR';
    const inv = (n: string) => (this.errors[n] ? 'true' : 'false');
    const times = d ?? this.newDealTimes();
    const touched = () => { this.timesTouched = true; };
    return html`<h2>${d ? `Edit deal #${d.id}` : 'New deal'}</h2>
      <form @submit=${this.submit} novalidate>
        ${this.field('festivalId', 'Festival', html`<select name="festivalId" aria-invalid=${inv('festivalId')}
            @change=${(e: Event) => { this.festivalId = (e.target as HTMLSelectElement).value; }}>
          ${this.festivals.map((f) => html`<option value=${f.id} ?selected=${(d?.festivalId ?? this.festivalId) === f.id}>${f.name} (${formatFormTime(f.startsAt)} – ${formatFormTime(f.endsAt)})</option>`)}
        </select>`, undefined, true)}
        ${this.field('title', 'Product name', html`<input name="title" .value=${d?.title ?? ''} maxlength="200" aria-invalid=${inv('title')} />`, undefined, true)}
        ${this.field('description', 'Description', html`<textarea name="description" rows="2" .value=${d?.description ?? ''} aria-invalid=${inv('description')}></textarea>`, undefined, true)}
        ${this.field('imageUrl', 'Image URL', html`<input name="imageUrl" type="url" placeholder="https://…" .value=${d?.imageUrl ?? ''} aria-invalid=${inv('imageUrl')} />`, undefined, true)}
        ${this.field('currency', 'Currency', html`<input name="currency" .value=${cur} maxlength="3" aria-invalid=${inv('currency')} />`, 'ISO 4217, e.g. PKR, INR, USD')}
        ${this.field('listPriceMinor', 'List price', html`<input name="listPrice" inputmode="decimal" .value=${d ? fromMinor(d.listPriceMinor, cur) : ''} aria-invalid=${inv('listPriceMinor')} />`)}
        ${this.field('dealPriceMinor', 'Deal price', html`<input name="dealPrice" inputmode="decimal" .value=${d ? fromMinor(d.dealPriceMinor, cur) : ''} aria-invalid=${inv('dealPriceMinor')} />`, 'below the list price')}
        ${this.field('stock', 'Stock', html`<input name="stock" type="number" min="1" .value=${d ? String(d.stock) : ''} aria-invalid=${inv('stock')} />`)}
        ${this.field('limit', 'Limit per shopper', html`<input name="limit" type="number" min="1" .value=${d ? String(d.limit) : '1'} aria-invalid=${inv('limit')} />`)}
        ${this.stockBuckets(d)}
        ${this.field('startsAt', `Starts (your local time, ${formTimeZone})`, html`<input name="startsAt" type="datetime-local" step="1" .value=${toLocalInput(times.startsAt)} @input=${touched} aria-invalid=${inv('startsAt')} />`)}
        ${this.field('endsAt', `Ends (your local time, ${formTimeZone})`, html`<input name="endsAt" type="datetime-local" step="1" .value=${toLocalInput(times.endsAt)} @input=${touched} aria-invalid=${inv('endsAt')} />`)}
        ${this.field('holdMinutes', 'Minutes to pay (optional)', html`<input name="holdMinutes" type="number" min="1" max="60" .value=${d ? String(Math.round(d.holdSeconds / 60)) : ''} aria-invalid=${inv('holdMinutes')} />`)}
        ${this.paymentMethods(d)}
        ${this.actions(d)}
      </form>`;
  }

  private async submit(e: Event) {
    e.preventDefault();
    if (!this.api) return;
    const f = new FormData(e.target as HTMLFormElement);
    const paymentMethods = f.getAll('paymentMethods').map(String);
    if (paymentMethods.length === 0) {
      this.errors = { ...this.errors, paymentMethods: NO_PAYMENT_METHOD };
      this.summary = 'Payment methods need attention.';
      return;
    }
    if (this.deal && !this.deal.editable) return this.send({ paymentMethods });
    const s = (k: string) => String(f.get(k) ?? '').trim();
    const currency = s('currency').toUpperCase();
    const time = (k: string) => (s(k) ? new Date(s(k)).getTime() : '');
    const num = (k: string) => (s(k) === '' ? '' : Number(s(k)));
    const input: Record<string, unknown> = {
      festivalId: s('festivalId'), title: s('title'), description: s('description'), imageUrl: s('imageUrl') || null,
      currency, listPriceMinor: s('listPrice') ? toMinor(s('listPrice'), currency) : '',
      dealPriceMinor: s('dealPrice') ? toMinor(s('dealPrice'), currency) : '',
      stock: num('stock'), limit: num('limit'), startsAt: time('startsAt'), endsAt: time('endsAt'),
      holdMinutes: s('holdMinutes') ? Number(s('holdMinutes')) : null, stockBuckets: bucketsInput(s('stockBuckets')), paymentMethods,
    };
    return this.send(input);
  }

  private async send(input: Record<string, unknown>) {
    if (!this.api) return;
    this.busy = true;
    this.summary = null;
    try {
      const deal = this.deal ? await this.api.update(this.deal.id, input) : await this.api.create(input);
      this.errors = {};
      this.dispatchEvent(new CustomEvent('saved', { detail: deal }));
    } catch (err) {
      ({ errors: this.errors, summary: this.summary } = formErrorsOf(err, (fe) => describeBucketsError(fe, input) ?? describeFieldError(fe)));
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'brand-deal-form': BrandDealForm;
  }
}
