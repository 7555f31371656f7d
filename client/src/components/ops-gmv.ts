import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Money } from '../../../server/src/shared/protocol.ts';
import { formatMoney } from './format.ts';
import { formatMoneyToFit } from './ops-format.ts';

// the headline and its parts: exact money while it is this short, compact beyond
const BIG_CHARS = 14;
const PART_CHARS = 12;
// one line of per-currency totals fits three of them; the rest are counted
const CURRENCIES_SHOWN = 3;

/**
 * The big GMV number. It runs up to each new value over ~0.8 s (ease-out) instead of jumping,
 * and only its text changes, so a wall screen never flickers. The exact value is in `data-minor`.
 */
@customElement('ops-gmv')
export class OpsGmv extends LitElement {
  static override styles = css`
    :host {
      display: block;
      container-type: inline-size;
    }
    .label {
      font-size: 1.125rem;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.08em;
    }
    /* as large as the panel's width allows for --chars characters (a bold digit is about
       0.7 em wide), between 3 and 6 rem */
    .big {
      font-size: clamp(3rem, calc(100cqw * 1.4 / var(--chars, 10)), 6rem);
      font-weight: 800;
      line-height: 1.2;
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
      color: #5ef08f;
    }
    .held {
      color: #f2c14e;
      font-size: 1.25rem;
      white-space: nowrap;
    }
    ul {
      list-style: none;
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem 1.5rem;
      padding: 0;
      margin: 0.25rem 0 0;
      font-size: 1.25rem;
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
  `;

  @property({ attribute: false }) total: Money = { minor: 0, currency: 'USD' };
  @property({ attribute: false }) held: Money | null = null;
  @property({ attribute: false }) perCurrency: Money[] = [];
  @state() private shown = 0;
  private from = 0;
  private target = 0;
  private startedAt = 0;
  private frame = 0;

  protected override willUpdate(): void {
    if (this.total.minor !== this.target) {
      this.from = this.shown;
      this.target = this.total.minor;
      this.startedAt = performance.now();
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(this.step);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.frame);
  }

  private readonly step = (now: number) => {
    const k = Math.min(1, (now - this.startedAt) / 800);
    const eased = 1 - (1 - k) ** 3;
    this.shown = Math.round(this.from + (this.target - this.from) * eased);
    if (k < 1) this.frame = requestAnimationFrame(this.step);
  };

  override render() {
    const cur = this.total.currency;
    // sized for the value it runs up to, so the type does not change size while it counts
    const compact = formatMoney(this.total).length > BIG_CHARS;
    const big = (m: Money) => formatMoneyToFit(m, compact ? 0 : BIG_CHARS);
    const chars = big(this.total).length;
    const parts = this.perCurrency.slice(0, CURRENCIES_SHOWN);
    const more = this.perCurrency.length - parts.length;
    return html`
      <div class="label">GMV (paid, ${cur})</div>
      <div class="big" style="--chars:${chars}" data-testid="gmv" data-minor=${this.total.minor} aria-live="off">${big({ minor: this.shown, currency: cur })}</div>
      ${this.held ? html`<div class="held">+ ${formatMoneyToFit(this.held, PART_CHARS)} held, awaiting payment</div>` : ''}
      <ul aria-label="GMV by currency">
        ${parts.map((m) => html`<li data-testid="gmv-${m.currency}">${formatMoneyToFit(m, PART_CHARS)}</li>`)}
        ${more > 0 ? html`<li>+ ${more} more</li>` : ''}
      </ul>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-gmv': OpsGmv;
  }
}
