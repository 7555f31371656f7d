import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { DealView } from '../../../server/src/shared/protocol.ts';
import { ServerTimeController } from '../controllers/server-time-controller.ts';
import { serverNow } from '../data/clock.ts';
import { grabView, type DealMine, type GrabView } from '../data/grab-state.ts';
import { discountPercent, formatMoney } from './format.ts';
import './ff-countdown.ts';
import './ff-grab-button.ts';
import './ff-stock-bar.ts';
import './ff-remind-button.ts';

/**
 * One deal: picture, prices, live stock, limit, countdown and the grab button. The picture's box
 * is 4:3 whether the image has loaded, is still lazy, or the deal has none, so nothing moves. Reflects the
 * button's state on itself as `data-state` (the end-to-end tests read it).
 */
@customElement('ff-deal-card')
export class FfDealCard extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      background: #fff;
      border-radius: 12px;
      box-shadow: 0 1px 3px rgb(0 0 0 / 0.12);
      overflow: hidden;
    }
    .img {
      aspect-ratio: 4 / 3;
      background: #f0f0f3;
      display: block;
      width: 100%;
      height: auto;
      object-fit: cover;
    }
    .body {
      padding: 0.75rem;
      display: flex;
      flex-direction: column;
      gap: 0.4rem;
      flex: 1;
    }
    .brand {
      margin: 0;
      font-size: 0.75rem;
      text-transform: uppercase;
      letter-spacing: 0.04em;
      color: #6b6b76;
    }
    h2 {
      margin: 0;
      font-size: 1rem;
      line-height: 1.3;
    }
    .prices {
      display: flex;
      align-items: baseline;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
    .price {
      font-size: 1.25rem;
      font-weight: 700;
      color: var(--ff-accent, #e0301e);
    }
    s {
      color: #6b6b76;
      font-size: 0.875rem;
    }
    .off {
      font-size: 0.75rem;
      font-weight: 700;
      color: #fff;
      background: var(--ff-accent, #e0301e);
      border-radius: 4px;
      padding: 0.05rem 0.3rem;
    }
    .meta {
      display: flex;
      justify-content: space-between;
      gap: 0.5rem;
      font-size: 0.8125rem;
      color: #4a4a55;
    }
    .when {
      font-size: 0.875rem;
      color: #4a4a55;
    }
    ff-grab-button {
      margin-top: auto;
      padding-top: 0.25rem;
    }
  `;

  @property({ attribute: false }) deal!: DealView;
  @property({ attribute: false }) mine: DealMine | undefined;

  private view: GrabView | null = null;

  constructor() {
    super();
    // Re-render exactly when the deal opens, ends, or a hold runs out.
    new ServerTimeController(this, () => this.view?.nextChange ?? null);
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    this.view = grabView(this.deal, this.mine, serverNow());
  }

  protected override updated(): void {
    if (this.view && this.dataset.state !== this.view.state) this.dataset.state = this.view.state;
  }

  override render() {
    const d = this.deal;
    const v = this.view!;
    const now = serverNow();
    const off = discountPercent(d.listPrice, d.dealPrice);
    return html`
      ${d.imageUrl
        ? html`<img class="img" data-testid="img-${d.id}" src=${d.imageUrl} alt="" loading="lazy" decoding="async" width="400" height="300" />`
        : html`<div class="img" aria-hidden="true"></div>`}
      <div class="body">
        <p class="brand">${d.brand}</p>
        <h2>${d.title}</h2>
        <div class="prices">
          <span class="price">${formatMoney(d.dealPrice)}</span>
          ${off !== null
            ? html`<s aria-label="List price ${formatMoney(d.listPrice)}">${formatMoney(d.listPrice)}</s>
                <span class="off">-${off}%</span>`
            : nothing}
        </div>
        <ff-stock-bar data-testid="stockbar-${d.id}" data-available=${d.available} .available=${d.available} .stock=${d.stock}></ff-stock-bar>
        <div class="meta">
          <span data-testid="stock-${d.id}">${d.available > 0 ? `${d.available} left` : 'None left'}</span>
          <span>Limit ${d.limit} per shopper</span>
        </div>
        <div class="when">${this.renderWhen(now)}</div>
        <ff-grab-button
          .deal=${d.id}
          .state=${v.state}
          .hold=${v.hold}
          .message=${v.message}
          .startsAt=${d.startsAt}
          .canGrab=${v.canGrab}
        ></ff-grab-button>
      </div>
    `;
  }

  private renderWhen(now: number) {
    const d = this.deal;
    if (now < d.startsAt) {
      return html`Starts in <ff-countdown data-testid="countdown-${d.id}" .target=${d.startsAt}></ff-countdown>
        <ff-remind-button .deal=${d.id}></ff-remind-button>`;
    }
    if (now < d.endsAt && this.view!.state !== 'ended') {
      return html`Ends in <ff-countdown data-testid="countdown-${d.id}" .target=${d.endsAt}></ff-countdown>`;
    }
    return html`<span data-testid="countdown-${d.id}">Ended</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-deal-card': FfDealCard;
  }
}
