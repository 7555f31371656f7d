import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { localized, msg, str } from '@lit/localize';
import { StoreController } from '../controllers/store-controller.ts';
import { FestivalStore } from '../data/festival-store.ts';
import { RoomStore } from '../data/room-store.ts';
import { ShopperSocket, type ConnStatus } from '../data/socket.ts';
import '../components/ff-deal-card.ts';
import '../components/ff-ticker.ts';
import '../components/ff-orders.ts';
import '../components/ff-checkout.ts';
import type { CheckoutEventDetail } from '../components/ff-orders.ts';
import type { ConfirmPayDetail } from '../components/ff-checkout.ts';
import { serverNow } from '../data/clock.ts';
import { TickerStore } from '../data/ticker-store.ts';
import { LANGUAGES, chooseLanguage, getLocale, intlLocale } from '../i18n/locale.ts';
import { refusalText } from '../i18n/refusals.ts';
import { formatCount } from '../components/format.ts';

function connLabel(status: ConnStatus): string {
  switch (status) {
    case 'connecting':
      return msg('Connecting…', { id: 'conn.connecting' });
    case 'live':
      return msg('Live', { id: 'conn.live' });
    case 'reconnecting':
      return msg('Reconnecting…', { id: 'conn.reconnecting' });
  }
}

/** Cards the placeholder grid shows while the festival loads: enough to fill a phone's first screen. */
const placeholderCards = 3;

/**
 * The shopper page: a sticky header (festival, My orders, connection), the sales ticker, the
 * deals, and two dialogs: checkout and my orders. Every box that changes after the first paint
 * (the grid replacing its placeholder, the ticker's first sale, a notice) has its size reserved
 * or sits outside the flow, so nothing on screen moves. Laid out in logical properties only, so
 * it mirrors in a right-to-left language.
 */
@customElement('ff-shopper-page')
// after @customElement in source, so it applies first: an element already in the HTML is upgraded
// at define time and must get its locale controller then
@localized()
export class FfShopperPage extends LitElement {
  static override styles = css`
    :host {
      display: block;
      max-width: 1200px;
      margin: 0 auto;
      padding: 0 0.75rem 2rem;
    }
    header {
      position: sticky;
      top: 0;
      z-index: 1;
      display: flex;
      align-items: center;
      gap: 0.75rem;
      min-height: 3.25rem;
      padding: 0.5rem 0;
      box-sizing: border-box;
      background: var(--ff-bg, #f6f6f8);
    }
    h1 {
      flex: 1;
      min-width: 0;
      margin: 0;
      font-size: 1.125rem;
      line-height: 1.2;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .orders-btn,
    .lang {
      flex: none;
      min-height: 40px;
      padding-inline: 0.75rem;
      border: 1px solid #c9c9cf;
      border-radius: 20px;
      background: #fff;
      color: #1d1d24;
      font: inherit;
      font-size: 0.875rem;
    }
    .lang {
      max-width: 6.5rem;
      padding-inline: 0.4rem;
    }
    .orders-btn {
      font-weight: 600;
      cursor: pointer;
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
    }
    .orders-btn:focus-visible,
    .lang:focus-visible,
    dialog button:focus-visible {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    .badge {
      min-width: 1.4em;
      padding: 0 0.3em;
      box-sizing: border-box;
      border-radius: 0.7em;
      background: var(--ff-pay, #137a3a);
      color: #fff;
      font-size: 0.75rem;
      line-height: 1.4em;
      text-align: center;
    }
    .conn {
      flex: none;
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      font-size: 0.8125rem;
      color: #4a4a55;
      white-space: nowrap;
    }
    .dot {
      width: 0.6rem;
      height: 0.6rem;
      border-radius: 50%;
      background: #f2a600;
    }
    .dot[data-status='live'] {
      background: #1e9e4a;
    }
    .dot[data-status='reconnecting'] {
      background: #d93025;
    }
    @media (max-width: 30rem) {
      /* on a phone the dot alone says it; the words stay for screen readers */
      .conn-text {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      .orders-btn {
        padding-inline: 0.6rem;
      }
    }
    ff-ticker {
      margin: 0 0 0.5rem;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
      gap: 0.75rem;
    }
    .placeholder {
      border-radius: 12px;
      background: #fff;
      box-shadow: 0 1px 3px rgb(0 0 0 / 0.12);
      /* a card's height: the 4:3 picture plus its body */
      aspect-ratio: 4 / 3;
      padding-bottom: 15.5rem;
    }
    .empty {
      color: #4a4a55;
      padding: 1rem 0;
    }
    .notice {
      position: fixed;
      inset-inline: 0.75rem;
      bottom: 0.75rem;
      z-index: 2;
      margin: 0 auto;
      max-width: 30rem;
      padding: 0.75rem 1rem;
      border-radius: 10px;
      background: #1d1d24;
      color: #fff;
      font-size: 0.875rem;
    }
    dialog {
      width: min(30rem, calc(100vw - 2rem));
      max-height: calc(100vh - 4rem);
      box-sizing: border-box;
      border: 0;
      border-radius: 14px;
      padding: 1rem 1.25rem;
      box-shadow: 0 10px 40px rgb(0 0 0 / 0.3);
    }
    dialog::backdrop {
      background: rgb(0 0 0 / 0.45);
    }
    .dialog-head {
      display: flex;
      justify-content: space-between;
      align-items: center;
      margin-bottom: 0.5rem;
    }
    .dialog-head h2 {
      margin: 0;
      font-size: 1.125rem;
    }
    .dialog-head button {
      min-width: 44px;
      min-height: 44px;
      border: 0;
      background: transparent;
      font-size: 1.25rem;
      cursor: pointer;
    }
  `;

  private readonly socket = new ShopperSocket();
  private readonly store = new FestivalStore(this.socket);
  private readonly ticker = new TickerStore(this.socket);
  private readonly rooms = new RoomStore(this.socket);
  @state() private conn: ConnStatus = this.socket.status;
  /** the hold whose checkout is open */
  @state() private checkoutHold: string | null = null;
  @query('#orders-dialog') private ordersDialog!: HTMLDialogElement;
  private offStatus: (() => void) | null = null;

  constructor() {
    super();
    new StoreController(this, this.store);
    new StoreController(this, this.rooms);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.offStatus = this.socket.onStatus((s) => (this.conn = s));
    // before the festival store starts the socket, so no room message is missed
    this.rooms.start();
    void this.store.start();
    this.ticker.start();
    this.addEventListener('ff-grab', this.onGrab);
    this.addEventListener('ff-checkout', this.onCheckout);
    this.addEventListener('ff-confirm-pay', this.onConfirmPay);
    this.addEventListener('ff-room-join', this.onRoomJoin);
    this.addEventListener('ff-room-leave', this.onRoomLeave);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offStatus?.();
    this.store.stop();
    this.ticker.stop();
    this.removeEventListener('ff-grab', this.onGrab);
    this.removeEventListener('ff-checkout', this.onCheckout);
    this.removeEventListener('ff-confirm-pay', this.onConfirmPay);
    this.removeEventListener('ff-room-join', this.onRoomJoin);
    this.removeEventListener('ff-room-leave', this.onRoomLeave);
    this.rooms.stop();
  }

  private readonly onGrab = (e: CustomEvent<{ deal: string }>) => this.store.grab(e.detail.deal, 1, this.rooms.passFor(e.detail.deal));
  private readonly onRoomJoin = (e: CustomEvent<{ deal: string }>) => this.rooms.join(e.detail.deal);
  private readonly onRoomLeave = (e: CustomEvent<{ deal: string }>) => this.rooms.leave(e.detail.deal);
  private readonly onCheckout = (e: CustomEvent<CheckoutEventDetail>) => {
    this.ordersDialog?.close();
    this.checkoutHold = e.detail.hold;
  };
  private readonly onConfirmPay = (e: CustomEvent<ConfirmPayDetail>) => this.store.pay(e.detail.hold, e.detail.method);

  protected override willUpdate(): void {
    // which deals have a waiting room: asked once per deal, as deals appear
    this.rooms.check(this.store.deals.values());
  }

  override render() {
    const s = this.store;
    const name = s.festival?.name ?? 'flashfest';
    const orders = s.orders();
    const open = orders.filter((o) => o.status === 'pending' && o.expiresAt > serverNow()).length;
    const locale = intlLocale();
    const count = formatCount(orders.length, locale);
    const toPay = formatCount(open, locale);
    const badgeLabel = open
      ? msg(str`${count} orders, ${toPay} to pay`, { id: 'header.badge_to_pay' })
      : msg(str`${count} orders`, { id: 'header.badge' });
    const checkout = this.checkoutHold ? s.holds.get(this.checkoutHold) ?? null : null;
    return html`
      <header>
        <h1 data-testid="festival-name"><bdi>${name}</bdi></h1>
        <button class="orders-btn" data-testid="my-orders" aria-haspopup="dialog" @click=${this.openOrders}>
          ${msg('My orders', { id: 'header.my_orders' })}${orders.length ? html`<span class="badge" aria-label=${badgeLabel}>${count}</span>` : nothing}
        </button>
        <select class="lang" data-testid="language" aria-label=${msg('Language', { id: 'header.language' })} @change=${this.onLanguage}>
          ${LANGUAGES.map((l) => html`<option value=${l.tag} lang=${l.tag} ?selected=${l.tag === getLocale()}>${l.name}</option>`)}
        </select>
        <span class="conn" role="status" aria-live="polite">
          <span class="dot" data-testid="conn" data-status=${this.conn} aria-hidden="true"></span>
          <span class="conn-text">${connLabel(this.conn)}</span>
        </span>
      </header>
      <ff-ticker data-testid="ticker" .store=${this.ticker}></ff-ticker>
      <main>${this.renderDeals()}</main>
      ${s.notice ? html`<p class="notice" role="alert">${refusalText(s.notice)}</p>` : nothing}
      <dialog id="orders-dialog" aria-labelledby="orders-h" data-testid="orders-dialog">
        <div class="dialog-head">
          <h2 id="orders-h">${msg('My orders', { id: 'header.my_orders' })}</h2>
          <button aria-label=${msg('Close', { id: 'common.close' })} @click=${this.closeOrders}>✕</button>
        </div>
        <ff-orders .orders=${orders} .now=${serverNow()}></ff-orders>
      </dialog>
      <ff-checkout
        .hold=${checkout}
        .deal=${checkout ? s.deals.get(checkout.deal) ?? null : null}
        .paying=${checkout ? s.mineFor(checkout.deal).paying : false}
        @ff-close=${this.closeCheckout}
      ></ff-checkout>
    `;
  }

  private onLanguage(e: Event): void {
    void chooseLanguage((e.target as HTMLSelectElement).value);
  }

  private openOrders(): void {
    this.ordersDialog.showModal();
  }

  private closeOrders(): void {
    this.ordersDialog.close();
  }

  private closeCheckout(): void {
    this.checkoutHold = null;
  }

  private renderDeals() {
    const s = this.store;
    if (s.load === 'loading') {
      return html`<div class="grid" aria-busy="true" aria-label=${msg('Loading deals', { id: 'page.loading' })}>
        ${Array.from({ length: placeholderCards }, () => html`<div class="placeholder"></div>`)}
      </div>`;
    }
    if (s.load === 'no_festival') return html`<p class="empty">${msg('No festival is on right now. Check back soon.', { id: 'page.no_festival' })}</p>`;
    if (s.load === 'error') return html`<p class="empty">${msg('Could not load the deals; retrying…', { id: 'page.load_error' })}</p>`;
    const deals = s.dealIds.flatMap((id) => s.deals.get(id) ?? []);
    if (deals.length === 0) return html`<p class="empty">${msg('No deals yet.', { id: 'page.no_deals' })}</p>`;
    return html`<div class="grid">
      ${repeat(
        deals,
        (d) => d.id,
        (d) => html`<ff-deal-card data-testid="deal-${d.id}" .deal=${d} .mine=${s.mineFor(d.id)} .room=${this.rooms.viewOf(d.id)}></ff-deal-card>`,
      )}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-shopper-page': FfShopperPage;
  }
}
