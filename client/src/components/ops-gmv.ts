import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Money } from '../../../server/src/shared/protocol.ts';
import { formatMoney } from './format.ts';

/**
 * The big GMV number. It runs up to each new value over ~0.8 s (ease-out) instead of jumping,
 * and only its text changes, so a wall screen never flickers. The exact value is in `data-minor`.
 */
@customElement('ops-gmv')
export class OpsGmv extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .label {
      font-size: 1rem;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.08em;
    }
    .big {
      font-size: clamp(2.5rem, 7vw, 6rem);
      font-weight: 800;
      line-height: 1.05;
      font-variant-numeric: tabular-nums;
      color: #5ef08f;
    }
    .held {
      color: #f2c14e;
      font-size: 1.1rem;
    }
    ul {
      list-style: none;
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem 1.5rem;
      padding: 0;
      margin: 0.5rem 0 0;
      font-size: 1.25rem;
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
    return html`
      <div class="label">GMV (paid, ${cur})</div>
      <div class="big" data-testid="gmv" data-minor=${this.total.minor} aria-live="off">${formatMoney({ minor: this.shown, currency: cur })}</div>
      ${this.held ? html`<div class="held">+ ${formatMoney(this.held)} held, awaiting payment</div>` : ''}
      <ul aria-label="GMV by currency">
        ${this.perCurrency.map((m) => html`<li data-testid="gmv-${m.currency}">${formatMoney(m)}</li>`)}
      </ul>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-gmv': OpsGmv;
  }
}
