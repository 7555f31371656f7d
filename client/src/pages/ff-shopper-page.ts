import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { StoreController } from '../controllers/store-controller.ts';
import { FestivalStore } from '../data/festival-store.ts';
import { ShopperSocket, type ConnStatus } from '../data/socket.ts';
import '../components/ff-deal-card.ts';
import '../components/ff-ticker.ts';
import { TickerStore } from '../data/ticker-store.ts';

const connLabel: Record<ConnStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

/** The shopper page: festival header, the deals, and the shopper's own orders. */
@customElement('ff-shopper-page')
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
      justify-content: space-between;
      gap: 0.75rem;
      padding: 0.75rem 0;
      background: var(--ff-bg, #f6f6f8);
    }
    h1 {
      margin: 0;
      font-size: 1.25rem;
      line-height: 1.2;
    }
    .conn {
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
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
      gap: 0.75rem;
    }
    h2 {
      font-size: 1.0625rem;
      margin: 1.5rem 0 0.5rem;
    }
    .empty,
    .notice {
      color: #4a4a55;
      padding: 1rem 0;
    }
    .notice {
      color: #b00020;
      padding: 0.5rem 0;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
      background: #fff;
      border-radius: 12px;
      box-shadow: 0 1px 3px rgb(0 0 0 / 0.12);
    }
    li {
      display: grid;
      grid-template-columns: 1fr auto;
      gap: 0.15rem 0.75rem;
      padding: 0.6rem 0.75rem;
      border-top: 1px solid #ececf1;
      font-size: 0.875rem;
    }
    li:first-child {
      border-top: 0;
    }
    .hold {
      font-family: ui-monospace, monospace;
      font-size: 0.75rem;
      color: #6b6b76;
      overflow-wrap: anywhere;
    }
    .status {
      font-weight: 600;
      text-transform: capitalize;
      text-align: right;
    }
    .status[data-status='paid'] {
      color: #137a3a;
    }
    .status[data-status='cancelled'] {
      color: #6b6b76;
    }
    .status[data-status='pending'] {
      color: #b36b00;
    }
  `;

  private readonly socket = new ShopperSocket();
  private readonly store = new FestivalStore(this.socket);
  private readonly ticker = new TickerStore(this.socket);
  @state() private conn: ConnStatus = this.socket.status;
  private offStatus: (() => void) | null = null;

  constructor() {
    super();
    new StoreController(this, this.store);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.offStatus = this.socket.onStatus((s) => (this.conn = s));
    void this.store.start();
    this.ticker.start();
    this.addEventListener('ff-grab', this.onGrab);
    this.addEventListener('ff-pay', this.onPay);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offStatus?.();
    this.store.stop();
    this.ticker.stop();
    this.removeEventListener('ff-grab', this.onGrab);
    this.removeEventListener('ff-pay', this.onPay);
  }

  private readonly onGrab = (e: CustomEvent<{ deal: string }>) => this.store.grab(e.detail.deal, 1);
  private readonly onPay = (e: CustomEvent<{ hold: string }>) => this.store.pay(e.detail.hold);

  override render() {
    const s = this.store;
    const name = s.festival?.name ?? 'flashfest';
    return html`
      <header>
        <h1>${name}</h1>
        <span class="conn" role="status" aria-live="polite">
          <span class="dot" data-testid="conn" data-status=${this.conn} aria-hidden="true"></span>
          ${connLabel[this.conn]}
        </span>
      </header>
      <ff-ticker .store=${this.ticker}></ff-ticker>
      ${s.notice ? html`<p class="notice" role="alert">${s.notice}</p>` : nothing}
      <main>${this.renderDeals()}</main>
      <section aria-labelledby="orders-h">
        <h2 id="orders-h">My orders</h2>
        ${this.renderOrders()}
      </section>
    `;
  }

  private renderDeals() {
    const s = this.store;
    if (s.load === 'loading') return html`<p class="empty">Loading deals…</p>`;
    if (s.load === 'no_festival') return html`<p class="empty">No festival is on right now. Check back soon.</p>`;
    if (s.load === 'error') return html`<p class="empty">Could not load the deals; retrying…</p>`;
    const deals = s.dealIds.flatMap((id) => s.deals.get(id) ?? []);
    if (deals.length === 0) return html`<p class="empty">No deals yet.</p>`;
    return html`<div class="grid">
      ${repeat(
        deals,
        (d) => d.id,
        (d) => html`<ff-deal-card data-testid="deal-${d.id}" .deal=${d} .mine=${s.mineFor(d.id)}></ff-deal-card>`,
      )}
    </div>`;
  }

  private renderOrders() {
    const orders = this.store.orders();
    if (orders.length === 0) return html`<p class="empty">Nothing yet. Grab a deal when it opens.</p>`;
    return html`<ul aria-live="polite">
      ${repeat(
        orders,
        (o) => o.hold,
        (o) => html`<li data-testid="order-${o.hold}" data-status=${o.status}>
          <span>${o.title} × ${o.qty}</span>
          <span class="status" data-status=${o.status}>${o.expired ? 'expired' : o.status}</span>
          <span class="hold">${o.hold}</span>
        </li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-shopper-page': FfShopperPage;
  }
}
