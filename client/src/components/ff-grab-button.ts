import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { GrabState, MyHold } from '../data/grab-state.ts';
import type { CheckoutEventDetail } from './ff-orders.ts';
import './ff-countdown.ts';

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
export class FfGrabButton extends LitElement {
  static override styles = css`
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
    .spinner {
      width: 1em;
      height: 1em;
      border: 2px solid currentColor;
      border-right-color: transparent;
      border-radius: 50%;
      animation: spin 0.7s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(360deg);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .spinner {
        animation-duration: 2s;
      }
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
  `;

  @property() deal = '';
  @property() state: GrabState = 'waiting';
  @property({ attribute: false }) hold: MyHold | null = null;
  @property() message: string | null = null;
  /** deal opening time, for the countdown inside the waiting button */
  @property({ type: Number }) startsAt = 0;
  @property({ type: Boolean }) canGrab = false;

  override render() {
    // The pay-by countdown stays outside the live region: it changes every second.
    return html`<div class="row">${this.renderAction()}</div>
      <div class="notes">
        ${this.state === 'held' && !this.message
          ? html`<p class="note">
              Held for you: check out within
              <ff-countdown data-testid="payby-${this.deal}" .target=${this.hold?.expiresAt ?? 0}></ff-countdown>
            </p>`
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
        return grab(html`Opens in <ff-countdown .target=${this.startsAt}></ff-countdown>`, true);
      case 'live':
        return grab('Grab', false);
      case 'grabbing':
        return grab('Grabbing…', true, true);
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
          ${paying ? html`<span class="spinner" aria-hidden="true"></span>Paying…` : 'Checkout'}
        </button>`;
      }
      case 'paid':
        return this.canGrab
          ? html`<button class="again" data-testid="grab-${this.deal}" @click=${this.onGrab}>Grab again</button>`
          : html`<p class="paid">${this.hold?.method === 'cod' ? 'Ordered ✓' : 'Paid ✓'}</p>`;
      case 'sold_out':
        return grab('Sold out', true);
      case 'limit_reached':
        return grab('Limit reached', true);
      case 'ended':
        return grab('Ended', true);
      case 'expired':
        return this.canGrab ? grab('Grab again', false) : grab('Hold expired', true);
      case 'error':
        return this.canGrab ? grab('Try again', false) : grab('Grab', true);
    }
  }

  private renderNote() {
    switch (this.state) {
      case 'held':
        return this.message ?? nothing;
      case 'paid':
        return html`Order <span data-testid="paid-${this.deal}">${this.hold?.orderNo}</span>${
          this.hold?.method === 'cod' ? ' · pay on delivery' : ''}`;
      case 'paying':
        return 'Confirming payment…';
      case 'grabbing':
        return 'Trying to grab one for you…';
      case 'expired':
        return 'Your hold ran out before payment; the unit went back on sale.';
      case 'sold_out':
      case 'limit_reached':
      case 'ended':
      case 'error':
        return this.message ?? nothing;
      default:
        return nothing;
    }
  }

  private isBad(): boolean {
    return this.state === 'error' || this.state === 'expired' || (this.state === 'held' && !!this.message);
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
