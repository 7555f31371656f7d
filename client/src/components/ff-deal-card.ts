import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import type { DealView } from '../../../server/src/shared/protocol.ts';
import { ServerTimeController } from '../controllers/server-time-controller.ts';
import { serverNow } from '../data/clock.ts';
import { grabView, type DealMine, type GrabState, type GrabView } from '../data/grab-state.ts';
import type { RoomView } from '../data/room-store.ts';
import { intlLocale } from '../i18n/locale.ts';
import { discountPercent, formatCount, formatMoney, formatOff } from './format.ts';
import './ff-countdown.ts';
import './ff-grab-button.ts';
import './ff-stock-bar.ts';
import './ff-remind-button.ts';
import './ff-waiting-room.ts';

/** The shopper's own hold (or order) of the deal is shown by the grab button, line or not. */
const ownStates: ReadonlySet<GrabState> = new Set(['grabbing', 'held', 'paying', 'paid', 'limit_reached']);

/**
 * One deal: picture, prices, live stock, limit, countdown and the grab button. The picture's box
 * is 4:3 whether the image has loaded, is still lazy, or the deal has none, so nothing moves. Reflects the
 * button's state on itself as `data-state` (the end-to-end tests read it).
 */
@customElement('ff-deal-card')
@localized()
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
    ff-grab-button,
    ff-waiting-room {
      margin-top: auto;
    }
    ff-grab-button {
      padding-top: 0.25rem;
    }
    ff-waiting-room + ff-grab-button {
      margin-top: 0;
    }
  `;

  @property({ attribute: false }) deal!: DealView;
  @property({ attribute: false }) mine: DealMine | undefined;
  /** the deal's waiting room as this shopper sees it (status `off`: none) */
  @property({ attribute: false }) room: RoomView | undefined;

  private view: GrabView | null = null;

  constructor() {
    super();
    // Re-render exactly when the deal opens, ends, or a hold runs out.
    new ServerTimeController(this, () => {
      const times = [this.view?.nextChange ?? null, this.room?.status === 'admitted' ? this.room.until : null]
        .filter((t): t is number => t !== null && t > serverNow());
      return times.length ? Math.min(...times) : null;
    });
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
    const locale = intlLocale();
    const list = formatMoney(d.listPrice, locale);
    return html`
      ${d.imageUrl
        ? html`<img class="img" data-testid="img-${d.id}" src=${d.imageUrl} alt="" loading="lazy" decoding="async" width="400" height="300" />`
        : html`<div class="img" aria-hidden="true"></div>`}
      <div class="body">
        <p class="brand"><bdi>${d.brand}</bdi></p>
        <h2><bdi>${d.title}</bdi></h2>
        <div class="prices">
          <span class="price" data-testid="price-${d.id}">${formatMoney(d.dealPrice, locale)}</span>
          ${off !== null
            ? html`<s aria-label=${msg(str`List price ${list}`, { id: 'card.list_price' })}>${list}</s>
                <span class="off">${formatOff(off, locale)}</span>`
            : nothing}
        </div>
        <ff-stock-bar data-testid="stockbar-${d.id}" data-available=${d.available} .available=${d.available} .stock=${d.stock}></ff-stock-bar>
        <div class="meta">
          <span data-testid="stock-${d.id}">${d.available > 0
            ? msg(str`${formatCount(d.available, locale)} left`, { id: 'card.left' })
            : msg('None left', { id: 'card.none_left' })}</span>
          <span>${msg(str`Limit ${formatCount(d.limit, locale)} per shopper`, { id: 'card.limit' })}</span>
        </div>
        <div class="when">${this.renderWhen(now)}</div>
        ${this.renderAction(v, now)}
      </div>
    `;
  }

  /**
   * The grab button, or the waiting line in its place while the deal's room is on and this
   * shopper has not been let in: admitted, the button lights beside the window's countdown;
   * closed, "sold out" replaces the line (a hold already made stays payable).
   */
  private renderAction(v: GrabView, now: number) {
    const d = this.deal;
    const room = this.room;
    const button = (state: GrabState, canGrab: boolean) => html`<ff-grab-button
      .deal=${d.id}
      .state=${state}
      .hold=${v.hold}
      .refusal=${state === v.state ? v.refusal : null}
      .startsAt=${d.startsAt}
      .canGrab=${canGrab}
    ></ff-grab-button>`;
    if (!room || room.status === 'off' || ownStates.has(v.state) || v.state === 'ended') return button(v.state, v.canGrab);
    const line = html`<ff-waiting-room data-testid="room-${d.id}" .deal=${d.id} .room=${room}></ff-waiting-room>`;
    if (room.status === 'closed') return html`${line}${button(room.closedReason === 'sold_out' ? 'sold_out' : 'ended', false)}`;
    if (room.status === 'admitted' && room.until > now) {
      // a not_admitted refusal from before the pass arrived is stale once it has
      const state = v.state === 'error' && v.refusal?.code === 'not_admitted' ? 'live' : v.state;
      return html`${line}${button(state, v.canGrab)}`;
    }
    return line;
  }

  private renderWhen(now: number) {
    const d = this.deal;
    if (now < d.startsAt) {
      const countdown = html`<ff-countdown data-testid="countdown-${d.id}" .target=${d.startsAt}></ff-countdown>`;
      return html`<span data-testid="when-${d.id}">${msg(html`Starts in ${countdown}`, { id: 'card.starts_in' })}</span>
        <ff-remind-button .deal=${d.id}></ff-remind-button>`;
    }
    if (now < d.endsAt && this.view!.state !== 'ended') {
      const countdown = html`<ff-countdown data-testid="countdown-${d.id}" .target=${d.endsAt}></ff-countdown>`;
      return html`<span data-testid="when-${d.id}">${msg(html`Ends in ${countdown}`, { id: 'card.ends_in' })}</span>`;
    }
    return html`<span data-testid="countdown-${d.id}">${msg('Ended', { id: 'card.ended' })}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-deal-card': FfDealCard;
  }
}
