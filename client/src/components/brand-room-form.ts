import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type BrandApi, type BrandDealView, type BrandRoomReply, type BrandRoomSettings } from '../data/brand-api.ts';
import type { FieldError } from '../../../server/src/shared/brand-api.ts';
import { brandFormStyles } from './brand-form-styles.ts';
import { formErrorsOf } from './brand-terms.ts';

type Field = keyof BrandRoomSettings;

/** What each setting is called in the form (and in its errors). */
const label: Record<Field, string> = {
  mode: 'Waiting room',
  outflow: 'Shoppers let in per second',
  windowSeconds: 'Seconds to grab once let in',
  graceSeconds: 'Seconds a dropped shopper keeps the place',
  autoMultiple: 'Auto: turn on when watchers exceed stock ×',
};
const count = new Intl.NumberFormat();

/** One field error in the brand's terms: the form's own label and the allowed range as numbers. */
export function describeRoomError(e: FieldError): string {
  const what = label[e.field as Field] ?? e.field;
  switch (e.code) {
    case 'wrong_type':
    case 'not_integer':
      return `${what} must be a whole number.`;
    case 'out_of_range': {
      if (e.field === 'mode') return `${what} must be Off, On or Auto.`;
      const m = /between (\d+) and (\d+)/.exec(e.message);
      return m ? `${what} must be from ${count.format(Number(m[1]))} to ${count.format(Number(m[2]))}.` : e.message;
    }
    default:
      return e.message;
  }
}

/**
 * A deal's waiting room (README "Waiting room"): off, on, or auto; how fast the line moves, how
 * long a shopper let in may grab, how long a dropped shopper keeps the place. Loads the
 * settings (and the live line once the deal is warm) when the deal is set; errors next to their
 * field in the form's words. Fires `saved` (detail: the reply) and `close`.
 */
@customElement('brand-room-form')
export class BrandRoomForm extends LitElement {
  static override styles = [brandFormStyles, css`
    .line { grid-column: 1 / -1; margin: 0; color: #33333d; font-size: 0.875rem; }
  `];

  @property({ attribute: false }) api: BrandApi | null = null;
  @property({ attribute: false }) deal: BrandDealView | null = null;
  @state() private reply: BrandRoomReply | null = null;
  @state() private errors: Partial<Record<string, string>> = {};
  @state() private summary: string | null = null;
  @state() private busy = false;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('deal') && this.deal && this.api) {
      this.reply = null;
      this.errors = {};
      this.summary = null;
      const id = this.deal.id;
      this.api.room(id).then(
        (r) => { if (this.deal?.id === id) this.reply = r; },
        (err: unknown) => { this.summary = formErrorsOf(err, describeRoomError).summary; },
      );
    }
  }

  private field(name: Field, input: unknown, hint?: string) {
    const err = this.errors[name];
    return html`<label>${label[name]}${input}
      ${hint ? html`<span class="hint">${hint}</span>` : nothing}
      ${err ? html`<span class="err" role="alert" data-testid="room-error-${name}">${err}</span>` : nothing}</label>`;
  }

  override render() {
    const d = this.deal;
    const s = this.reply?.settings;
    if (!d) return nothing;
    if (!s) return html`<h2>Waiting room of deal #${d.id}</h2><p class=${this.summary ? 'summary' : 'hint'}>${this.summary ?? 'Loading…'}</p>`;
    const inv = (n: string) => (this.errors[n] ? 'true' : 'false');
    const num = (n: Exclude<Field, 'mode'>) => html`<input name=${n} inputmode="numeric" .value=${String(s[n])} aria-invalid=${inv(n)} data-testid="room-${n}" />`;
    const line = this.reply?.line;
    return html`<h2>Waiting room of deal #${d.id} “${d.title}”</h2>
      <form @submit=${this.submit} novalidate>
        ${this.field('mode', html`<select name="mode" aria-invalid=${inv('mode')} data-testid="room-mode">
          ${(['off', 'on', 'auto'] as const).map((m) => html`<option value=${m} ?selected=${s.mode === m}>${{ off: 'Off', on: 'On', auto: 'Auto' }[m]}</option>`)}
        </select>`, 'On: every shopper queues. Auto: on once the crowd is large for the stock.')}
        ${this.field('outflow', num('outflow'))}
        ${this.field('windowSeconds', num('windowSeconds'))}
        ${this.field('graceSeconds', num('graceSeconds'))}
        ${this.field('autoMultiple', num('autoMultiple'), 'Only for Auto')}
        ${line ? html`<p class="line" data-testid="room-line">Line now: ${count.format(line.waiting)} waiting, ${line.admittedPerSecond.toFixed(1)} let in per second, ${count.format(line.abandoned)} left the line.</p>` : nothing}
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy} data-testid="save-room">Save waiting room</button>
          <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('close'))}>Close</button>
          ${this.summary ? html`<span class="summary" data-testid="room-summary">${this.summary}</span>` : nothing}
        </div>
      </form>`;
  }

  private async submit(e: Event) {
    e.preventDefault();
    if (!this.api || !this.deal) return;
    const f = new FormData(e.target as HTMLFormElement);
    const value = (k: Field) => String(f.get(k) ?? '').trim();
    // what the brand typed goes as a number when it reads as one; the API says what is wrong
    const asNumber = (k: Field) => (value(k) !== '' && Number.isFinite(Number(value(k))) ? Number(value(k)) : value(k));
    const input = {
      mode: value('mode'), outflow: asNumber('outflow'), windowSeconds: asNumber('windowSeconds'),
      graceSeconds: asNumber('graceSeconds'), autoMultiple: asNumber('autoMultiple'),
    } as Partial<BrandRoomSettings>;
    this.busy = true;
    this.summary = null;
    try {
      this.reply = await this.api.saveRoom(this.deal.id, input);
      this.errors = {};
      this.dispatchEvent(new CustomEvent('saved', { detail: this.reply }));
    } catch (err) {
      ({ errors: this.errors, summary: this.summary } = formErrorsOf(err, describeRoomError));
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'brand-room-form': BrandRoomForm;
  }
}
