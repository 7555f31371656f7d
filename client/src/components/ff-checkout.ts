import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { intlLocale } from '../i18n/locale.ts';
import { refusalText } from '../i18n/refusals.ts';
import type { DealView, PaymentMethodValue } from '../../../server/src/shared/protocol.ts';
import type { MyHold } from '../data/grab-state.ts';
import { formatCount, formatMoney, methodLabel, times } from './format.ts';
import './ff-countdown.ts';

export interface ConfirmPayDetail {
  hold: string;
  method: PaymentMethodValue;
}

/**
 * The checkout step between a hold and a charge: what is bought, the amount in its currency,
 * the methods the deal accepts, one confirm, then the result with the order number. A modal
 * <dialog> (the top layer: opening it moves nothing on the page). Presentational: it fires
 * `ff-confirm-pay` and `ff-close`; the page pays and closes.
 */
@customElement('ff-checkout')
@localized()
export class FfCheckout extends LitElement {
  static override styles = css`
    dialog {
      width: min(26rem, calc(100vw - 2rem));
      box-sizing: border-box;
      border: 0;
      border-radius: 14px;
      padding: 1.25rem;
      box-shadow: 0 10px 40px rgb(0 0 0 / 0.3);
      color: #1d1d24;
    }
    dialog::backdrop {
      background: rgb(0 0 0 / 0.45);
    }
    h2 {
      margin: 0 0 0.75rem;
      font-size: 1.125rem;
    }
    .item {
      display: flex;
      justify-content: space-between;
      gap: 0.75rem;
      font-size: 0.9375rem;
    }
    .total {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
      margin: 0.75rem 0;
      padding-top: 0.75rem;
      border-top: 1px solid #ececf1;
      font-weight: 700;
    }
    .amount {
      font-size: 1.375rem;
      color: var(--ff-accent, #e0301e);
      font-variant-numeric: tabular-nums;
    }
    fieldset {
      border: 0;
      margin: 0 0 0.75rem;
      padding: 0;
      display: grid;
      gap: 0.5rem;
    }
    legend {
      font-weight: 600;
      margin-bottom: 0.5rem;
    }
    label {
      display: flex;
      align-items: center;
      gap: 0.6rem;
      min-height: 44px;
      padding: 0 0.75rem;
      border: 1px solid #d5d5dc;
      border-radius: 10px;
      cursor: pointer;
    }
    label:has(input:checked) {
      border-color: var(--ff-pay, #137a3a);
      background: #eef8f1;
    }
    input {
      width: 1.1rem;
      height: 1.1rem;
      margin: 0;
      accent-color: var(--ff-pay, #137a3a);
    }
    .hint {
      font-size: 0.8125rem;
      color: #4a4a55;
      margin: 0 0 0.75rem;
    }
    .error {
      color: #b00020;
      font-size: 0.875rem;
      margin: 0 0 0.75rem;
    }
    .actions {
      display: flex;
      gap: 0.5rem;
    }
    button {
      min-height: 44px;
      border-radius: 8px;
      font: inherit;
      font-weight: 600;
      cursor: pointer;
      padding: 0 1rem;
    }
    .confirm {
      flex: 1;
      border: 0;
      color: #fff;
      background: var(--ff-pay, #137a3a);
    }
    .confirm:disabled {
      background: #c9c9cf;
      color: #4a4a55;
      cursor: default;
    }
    .secondary {
      border: 1px solid #c9c9cf;
      background: #fff;
      color: #1d1d24;
    }
    button:focus-visible,
    label:has(input:focus-visible) {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    .result {
      text-align: center;
    }
    .ok {
      font-size: 1.25rem;
      font-weight: 700;
      color: var(--ff-pay, #137a3a);
      margin: 0.25rem 0 0.5rem;
    }
    .order-no {
      display: block;
      font-family: ui-monospace, monospace;
      font-size: 1.25rem;
      letter-spacing: 0.05em;
      margin: 0.25rem 0 1rem;
    }
  `;

  /** the hold being checked out; null closes the dialog */
  @property({ attribute: false }) hold: MyHold | null = null;
  @property({ attribute: false }) deal: DealView | null = null;
  @property({ type: Boolean }) paying = false;
  @state() private chosen: PaymentMethodValue | null = null;
  @query('dialog') private dialog!: HTMLDialogElement;

  protected override willUpdate(changed: PropertyValues<this>): void {
    const methods = this.deal?.paymentMethods ?? [];
    if (changed.has('hold') && changed.get('hold')?.hold !== this.hold?.hold) this.chosen = null;
    if (!this.chosen || !methods.includes(this.chosen)) this.chosen = methods[0] ?? null;
  }

  protected override updated(): void {
    if (this.hold && !this.dialog.open) this.dialog.showModal();
    else if (!this.hold && this.dialog.open) this.dialog.close();
  }

  override render() {
    return html`<dialog aria-labelledby="checkout-h" data-testid="checkout" @close=${this.onClosed}>
      ${this.hold ? this.renderBody(this.hold) : nothing}
    </dialog>`;
  }

  private renderBody(h: MyHold) {
    if (h.status === 'paid') return this.renderPaid(h);
    if (h.status === 'cancelled') {
      return html`<h2 id="checkout-h">${msg('Hold expired', { id: 'grab.expired' })}</h2>
        <p class="hint">${msg('Your hold ran out before payment; nothing was charged and the unit went back on sale.', { id: 'checkout.expired_note' })}</p>
        <div class="actions"><button class="secondary" @click=${this.close}>${msg('Close', { id: 'common.close' })}</button></div>`;
    }
    const unit = h.unitPrice ?? this.deal?.dealPrice ?? null;
    const total = unit ? times(unit, h.qty) : null;
    const methods = this.deal?.paymentMethods ?? [];
    const locale = intlLocale();
    const amount = total ? formatMoney(total, locale) : '';
    const countdown = html`<ff-countdown .target=${h.expiresAt}></ff-countdown>`;
    return html`<h2 id="checkout-h">${msg('Checkout', { id: 'pay.checkout' })}</h2>
      <div class="item">
        <bdi>${h.title}</bdi>
        <span>${formatCount(h.qty, locale)} × ${unit ? formatMoney(unit, locale) : ''}</span>
      </div>
      <div class="total">
        <span>${msg('Total', { id: 'checkout.total' })}</span>
        <span class="amount" data-testid="checkout-amount" data-currency=${total?.currency ?? ''}>${amount}</span>
      </div>
      <p class="hint">${msg(html`Held for you for ${countdown}; nothing is charged until you confirm.`, { id: 'checkout.held_for' })}</p>
      <fieldset ?disabled=${this.paying}>
        <legend>${msg('Pay with', { id: 'checkout.pay_with' })}</legend>
        ${methods.map(
          (m) => html`<label data-testid="method-${m}">
            <input type="radio" name="method" .value=${m} .checked=${this.chosen === m} @change=${() => (this.chosen = m)} />
            ${methodLabel(m)}
          </label>`,
        )}
      </fieldset>
      ${this.chosen === 'cod' ? html`<p class="hint">${msg(str`You pay ${amount} in cash when the parcel arrives.`, { id: 'checkout.cod_note' })}</p>` : nothing}
      ${h.payError ? html`<p class="error" role="alert">${refusalText(h.payError)}</p>` : nothing}
      <div class="actions">
        <button class="secondary" @click=${this.close}>${msg('Later', { id: 'checkout.later' })}</button>
        <button class="confirm" data-testid="checkout-confirm" ?disabled=${this.paying || !this.chosen} aria-busy=${this.paying ? 'true' : 'false'} @click=${this.confirm}>
          ${this.paying ? msg('Paying…', { id: 'pay.paying' })
            : this.chosen === 'cod' ? msg('Place order', { id: 'checkout.place_order' })
            : msg(str`Pay ${amount}`, { id: 'checkout.pay_amount' })}
        </button>
      </div>`;
  }

  private renderPaid(h: MyHold) {
    return html`<div class="result">
      <h2 id="checkout-h" class="ok">${h.method === 'cod' ? msg('Order placed ✓', { id: 'checkout.placed' }) : msg('Paid ✓', { id: 'grab.paid' })}</h2>
      <p class="hint"><bdi>${h.title}</bdi> × ${formatCount(h.qty, intlLocale())}${h.method ? html` · ${methodLabel(h.method)}` : nothing}</p>
      ${msg('Your order number', { id: 'checkout.order_number' })}
      <strong class="order-no" data-testid="checkout-order-no">${h.orderNo}</strong>
      <div class="actions"><button class="confirm" data-testid="checkout-done" @click=${this.close}>${msg('Done', { id: 'checkout.done' })}</button></div>
    </div>`;
  }

  private confirm(): void {
    if (!this.hold || !this.chosen) return;
    this.dispatchEvent(new CustomEvent<ConfirmPayDetail>('ff-confirm-pay', {
      detail: { hold: this.hold.hold, method: this.chosen }, bubbles: true, composed: true,
    }));
  }

  private close(): void {
    this.dialog.close();
  }

  /** Esc, a button, or the page: the page forgets the hold it was checking out. */
  private onClosed(): void {
    this.dispatchEvent(new CustomEvent('ff-close', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-checkout': FfCheckout;
  }
  interface HTMLElementEventMap {
    'ff-confirm-pay': CustomEvent<ConfirmPayDetail>;
  }
}
