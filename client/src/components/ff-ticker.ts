import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { StoreController } from '../controllers/store-controller.ts';
import type { TickerStore } from '../data/ticker-store.ts';

/**
 * The sales ticker strip: the newest grab slides in at the start, older ones fade along. Only a
 * city and a product are shown, never who. CSS transitions only: cheap on phones.
 */
@customElement('ff-ticker')
export class FfTicker extends LitElement {
  static override styles = css`
    :host {
      display: block;
      overflow: hidden;
      white-space: nowrap;
      font-size: 0.8125rem;
      color: #4a4a55;
      min-height: 1.5rem;
    }
    ol {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      gap: 1.25rem;
    }
    li {
      flex: none;
      animation: in 0.35s ease-out;
    }
    li:first-child {
      color: #1d1d24;
      font-weight: 600;
    }
    li:nth-child(n + 3) {
      opacity: 0.6;
    }
    b {
      color: var(--ff-accent, #e0301e);
    }
    @keyframes in {
      from {
        transform: translateX(-1rem);
        opacity: 0;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      li {
        animation: none;
      }
    }
  `;

  @property({ attribute: false }) store!: TickerStore;

  constructor() {
    super();
    // the store is set as a property before the first connect; subscribe through a proxy
    new StoreController(this, { subscribe: (f) => (this.store ? this.store.subscribe(f) : () => {}) });
  }

  override render() {
    const items = this.store?.items ?? [];
    if (items.length === 0) return html`<span aria-hidden="true">&nbsp;</span>`;
    return html`<ol aria-label="Just grabbed" data-testid="ticker">
      ${repeat(
        items,
        (i) => i.key,
        (i) => html`<li data-testid="ticker-item">Someone in <b>${i.city}</b> just grabbed ${i.qty > 1 ? `${i.qty} × ` : ''}${i.title}</li>`,
      )}
    </ol>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-ticker': FfTicker;
  }
}
