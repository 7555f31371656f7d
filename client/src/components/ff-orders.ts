import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { localized, msg } from '@lit/localize';
import { intlLocale } from '../i18n/locale.ts';
import type { MyHold } from '../data/grab-state.ts';
import { formatCount, formatMoney, orderStatusLabel, times } from './format.ts';

export interface CheckoutEventDetail {
  hold: string;
}

/**
 * The shopper's orders, newest first: product, order number, total and status. A pending one
 * offers its checkout (`ff-checkout`, bubbling); the page opens it.
 */
@customElement('ff-orders')
@localized()
export class FfOrders extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    li {
      display: grid;
      grid-template-columns: 1fr auto;
      gap: 0.15rem 0.75rem;
      padding: 0.6rem 0;
      border-top: 1px solid #ececf1;
      font-size: 0.875rem;
    }
    li:first-child {
      border-top: 0;
    }
    .no {
      font-family: ui-monospace, monospace;
      color: #4a4a55;
    }
    .total {
      text-align: end;
      font-variant-numeric: tabular-nums;
    }
    .status {
      font-weight: 600;
    }
    .status[data-status='paid'] {
      color: #137a3a;
    }
    .status[data-status='cancelled'] {
      color: #5c5c66;
    }
    .status[data-status='pending'] {
      color: #8a5200;
    }
    button {
      min-height: 36px;
      border: 0;
      border-radius: 8px;
      padding: 0 0.75rem;
      font: inherit;
      font-weight: 600;
      color: #fff;
      background: var(--ff-pay, #137a3a);
      cursor: pointer;
    }
    .empty {
      color: #4a4a55;
      margin: 0;
    }
  `;

  @property({ attribute: false }) orders: readonly MyHold[] = [];
  /** server time of the last render, so a pending hold past its expiry reads expired */
  @property({ type: Number }) now = 0;

  override render() {
    if (this.orders.length === 0) return html`<p class="empty">${msg('Nothing yet. Grab a deal when it opens.', { id: 'orders.empty' })}</p>`;
    const locale = intlLocale();
    return html`<ul>
      ${repeat(
        this.orders,
        (o) => o.hold,
        (o) => {
          const lapsed = o.status === 'pending' && o.expiresAt <= this.now;
          const status = lapsed ? 'cancelled' : o.status;
          return html`<li data-testid="order-${o.hold}" data-status=${status}>
            <span><bdi>${o.title}</bdi> × ${formatCount(o.qty, locale)}</span>
            <span class="total">${o.unitPrice ? formatMoney(times(o.unitPrice, o.qty), locale) : ''}</span>
            <span class="no" data-testid="order-no-${o.hold}">${o.orderNo}</span>
            <span class="status" data-status=${status}>${orderStatusLabel(lapsed ? { ...o, status, expired: true } : o)}</span>
            ${o.status === 'pending' && !lapsed
              ? html`<span></span><button data-testid="order-checkout-${o.hold}" @click=${() => this.checkout(o.hold)}>${msg('Checkout', { id: 'pay.checkout' })}</button>`
              : ''}
          </li>`;
        },
      )}
    </ul>`;
  }

  private checkout(hold: string): void {
    this.dispatchEvent(new CustomEvent<CheckoutEventDetail>('ff-checkout', { detail: { hold }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-orders': FfOrders;
  }
  interface HTMLElementEventMap {
    'ff-checkout': CustomEvent<CheckoutEventDetail>;
  }
}
