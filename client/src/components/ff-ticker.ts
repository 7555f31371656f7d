import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import { localized, msg } from '@lit/localize';
import { intlLocale } from '../i18n/locale.ts';
import { formatCount } from './format.ts';
import { StoreController } from '../controllers/store-controller.ts';
import type { TickerStore } from '../data/ticker-store.ts';

/**
 * The sales ticker: the newest grab ("someone in Lahore just grabbed ..."), only a city and a
 * product, never who. Its box is two lines high from the first paint, before any sale, so the
 * first sale pushes nothing down; the text wraps at word boundaries and a longer one ends in an
 * ellipsis after the second line, never mid-word at the screen's edge.
 */
@customElement('ff-ticker')
@localized()
export class FfTicker extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 0.8125rem;
      line-height: 1.35;
      height: calc(2 * 1.35em);
      overflow: hidden;
      color: #1d1d24;
    }
    p {
      margin: 0;
      display: -webkit-box;
      -webkit-box-orient: vertical;
      -webkit-line-clamp: 2;
      overflow: hidden;
      overflow-wrap: break-word;
      animation: in 0.35s ease-out;
    }
    b {
      color: var(--ff-accent, #c4281a);
    }
    @keyframes in {
      from {
        opacity: 0;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      p {
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
    const i = this.store?.items[0];
    if (!i) return html``;
    // keyed by item, so each new sale is a fresh <p> and fades in (opacity only: no movement)
    const city = html`<b>${i.city}</b>`;
    // the product title stays as the brand wrote it, isolated so its direction cannot spill
    const what = html`${i.qty > 1 ? `${formatCount(i.qty, intlLocale())} × ` : ''}<bdi>${i.title}</bdi>`;
    return keyed(i.key, html`<p data-testid="ticker-item">${msg(html`Someone in ${city} just grabbed ${what}`, { id: 'ticker.grabbed' })}</p>`);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-ticker': FfTicker;
  }
}
