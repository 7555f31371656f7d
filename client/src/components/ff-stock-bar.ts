import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';

/** Units left as a bar that slides down as stock goes (a width transition, no re-layout of
 *  the card). Turns amber under 20% and grey at zero. */
@customElement('ff-stock-bar')
@localized()
export class FfStockBar extends LitElement {
  static override styles = css`
    :host {
      display: block;
      height: 6px;
      border-radius: 3px;
      background: #ececf1;
      overflow: hidden;
    }
    div {
      height: 100%;
      background: var(--ff-accent, #e0301e);
      transition: width 0.3s ease-out, background-color 0.3s;
      will-change: width;
    }
    div[data-level='low'] {
      background: #f2a600;
    }
    div[data-level='none'] {
      background: #b8b8c2;
    }
  `;

  @property({ type: Number }) available = 0;
  @property({ type: Number }) stock = 0;

  override render() {
    const pct = this.stock > 0 ? Math.max(0, Math.min(100, (this.available / this.stock) * 100)) : 0;
    const level = this.available <= 0 ? 'none' : pct < 20 ? 'low' : 'ok';
    return html`<div
      role="progressbar"
      aria-label=${msg('Stock left', { id: 'stock.bar' })}
      aria-valuemin="0"
      aria-valuemax=${this.stock}
      aria-valuenow=${this.available}
      data-level=${level}
      style="width:${pct}%"
    ></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-stock-bar': FfStockBar;
  }
}
