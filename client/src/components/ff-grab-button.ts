import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import type { GrabState, MyHold, Refusal } from '../data/grab-state.ts';
import { refusalText } from '../i18n/refusals.ts';
import type { CheckoutEventDetail } from './ff-orders.ts';
import './ff-countdown.ts';
import { spinnerStyles } from './spinner-styles.ts';

export interface GrabEventDetail {
  deal: string;
}

/**
 * The one action of a deal card. Presentational: it shows `state` and fires `ff-grab` /
 * `ff-checkout` (bubbling, composed); the page decides what they do. One action row and one
 * note box of fixed height whatever the state, so a card never changes size (nor pushes the
 * cards below it) when its deal opens, is held or is paid.
 */
@customElement('ff-grab-button')
@localized()
export class FfGrabButton extends LitElement {
  static override styles = [spinnerStyles, css`
    :host {
      display: block;
    }
    .row {
      min-height: 44px;
      display: flex;
      flex-direction: column;
      justify-content: center;
    }
    .notes {
      /* two lines, always: the longest note wraps at word boundaries and is clipped after two */
      height: calc(2 * 1.35em);
      margin-top: 0.4rem;
      font-size: 0.875rem;
      line-height: 1.35;
      overflow: hidden;
    }
    button {
      width: 100%;
      min-height: 44px;
      border: 0;
      border-radius: 8px;
      font: inherit;
      font-weight: 600;
      color: #fff;
      background: var(--ff-accent, #e0301e);
      cursor: pointer;
      display: inline-flex;
      align-items: center;
      justify-content: center;
      gap: 0.5em;
    }
    button:disabled {
      background: #c9c9cf;
      color: #4a4a55;
      cursor: default;
    }
    button.pay {
      background: var(--ff-pay, #137a3a);
    }
    button.again {
      background: transparent;
      color: var(--ff-accent, #e0301e);
      border: 1px solid currentColor;
    }
    button:focus-visible {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    .note {
      margin: 0;
      color: #4a4a55;
      display: -webkit-box;
      -webkit-box-orient: vertical;
      -webkit-line-clamp: 2;
      overflow: hidden;
    }
    .note.bad {
      color: #b00020;
    }
    .paid {
      margin: 0;
      font-weight: 600;
      color: var(--ff-pay, #137a3a);
      text-align: center;
      overflow-wrap: anywhere;
    }
  `];

  @property() deal = '';
  @property() state: GrabState = 'waiting';
  @property({ attribute: false }) hold: MyHold | null = null;
  /** the server's refusal, worded here by its code */
  @property({ attribute: false }) refusal: Refusal | null = null;
  /** deal opening time, for the countdown inside the waiting button */
  @property({ type: Number }) startsAt = 0;
  @property({ type: Boolean }) canGrab = false;

  override render() {
    // The pay-by countdown stays outside the live region: it changes every second.
    return html`<div class="row">${this.renderAction()}</div>
      <div class="notes">
        ${this.state === 'held' && !this.refusal
          ? html`<p class="note">${msg(html`Held for you: check out within ${this.payBy()}`, { id: 'grab.held_note' })}</p>`
          : html`<p class="note ${this.isBad() ? 'bad' : ''}" role="status" aria-live="polite">${this.renderNote()}</p>`}
      </div>`;
  }

  private renderAction() {
    const grab = (label: unknown, disabled: boolean, busy = false) =>
      html`<button
        data-testid="grab-${this.deal}"
        ?disabled=${disabled}
        aria-busy=${busy ? 'true' : 'false'}
        @click=${this.onGrab}
      >
        ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}<span>${label}</span>
      </button>`;
    switch (this.state) {
      case 'waiting':
        return grab(msg(html`Opens in ${this.opensIn()}`, { id: 'grab.opens_in' }), true);
      case 'live':
        return grab(msg('Grab', { id: 'grab.grab' }), false);
      case 'grabbing':
        return grab(msg('Grabbing…', { id: 'grab.grabbing' }), true, true);
      case 'held':
      case 'paying': {
        const paying = this.state === 'paying';
        return html`<button
          class="pay"
          data-testid="pay-${this.deal}"
          ?disabled=${paying}
          aria-busy=${paying ? 'true' : 'false'}
          @click=${this.onCheckout}
        >
          ${paying ? html`<span class="spinner" aria-hidden="true"></span>${msg('Paying…', { id: 'pay.paying' })}` : msg('Checkout', { id: 'pay.checkout' })}
        </button>`;
      }
      case 'paid':
        return this.canGrab
          ? html`<button class="again" data-testid="grab-${this.deal}" @click=${this.onGrab}>${msg('Grab again', { id: 'grab.again' })}</button>`
          : html`<p class="paid">${this.hold?.method === 'cod' ? msg('Ordered ✓', { id: 'grab.ordered' }) : msg('Paid ✓', { id: 'grab.paid' })}</p>`;
      case 'sold_out':
        return grab(msg('Sold out', { id: 'grab.sold_out' }), true);
      case 'limit_reached':
        return grab(msg('Limit reached', { id: 'grab.limit_reached' }), true);
      case 'ended':
        return grab(msg('Ended', { id: 'card.ended' }), true);
      case 'expired':
        return this.canGrab ? grab(msg('Grab again', { id: 'grab.again' }), false) : grab(msg('Hold expired', { id: 'grab.expired' }), true);
      case 'error':
        return this.canGrab ? grab(msg('Try again', { id: 'grab.try_again' }), false) : grab(msg('Grab', { id: 'grab.grab' }), true);
    }
  }

  private payBy() {
    return html`<ff-countdown data-testid="payby-${this.deal}" .target=${this.hold?.expiresAt ?? 0}></ff-countdown>`;
  }

  private opensIn() {
    return html`<ff-countdown .target=${this.startsAt}></ff-countdown>`;
  }

  private renderNote() {
    switch (this.state) {
      case 'held':
        return this.refusal ? refusalText(this.refusal) : nothing;
      case 'paid': {
        const no = html`<bdi data-testid="paid-${this.deal}">${this.hold?.orderNo}</bdi>`;
        return this.hold?.method === 'cod'
          ? msg(html`Order ${no} · pay on delivery`, { id: 'grab.order_cod' })
          : msg(html`Order ${no}`, { id: 'grab.order' });
      }
      case 'paying':
        return msg('Confirming payment…', { id: 'grab.confirming' });
      case 'grabbing':
        return msg('Trying to grab one for you…', { id: 'grab.trying' });
      case 'expired':
        return msg('Your hold ran out before payment; the unit went back on sale.', { id: 'grab.expired_note' });
      case 'sold_out':
      case 'limit_reached':
      case 'ended':
      case 'error':
        return this.refusal ? refusalText(this.refusal) : nothing;
      default:
        return nothing;
    }
  }

  private isBad(): boolean {
    return this.state === 'error' || this.state === 'expired' || (this.state === 'held' && !!this.refusal);
  }

  private onGrab() {
    this.dispatchEvent(
      new CustomEvent<GrabEventDetail>('ff-grab', { detail: { deal: this.deal }, bubbles: true, composed: true }),
    );
  }

  private onCheckout() {
    if (!this.hold) return;
    this.dispatchEvent(
      new CustomEvent<CheckoutEventDetail>('ff-checkout', { detail: { hold: this.hold.hold }, bubbles: true, composed: true }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-grab-button': FfGrabButton;
  }
  interface HTMLElementEventMap {
    'ff-grab': CustomEvent<GrabEventDetail>;
  }
}
