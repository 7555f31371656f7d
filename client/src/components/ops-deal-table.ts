import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { OpsDeal } from '../../../server/src/shared/ops-view.ts';
import { formatMoney } from './format.ts';

type SortKey = 'speed' | 'state' | 'sellThrough' | 'gmv';

// live first, then what is about to open, then what is over
const stateOrder: Record<string, number> = { live: 0, warming: 1, scheduled: 2, sold_out: 3, ended: 4, stopped: 5, cancelled: 6 };

/** Per-deal sell-through, sortable by speed (orders/s), state, sell-through or GMV. Rows are
 *  keyed by deal id, so a re-sort moves rows instead of redrawing them. */
@customElement('ops-deal-table')
export class OpsDealTable extends LitElement {
  static override styles = css`
    :host {
      display: block;
      overflow-x: auto;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      font-size: 1.05rem;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 0.4rem 0.6rem;
      text-align: right;
      border-bottom: 1px solid #2a3142;
      white-space: nowrap;
    }
    th:first-child,
    td:first-child {
      text-align: left;
      white-space: normal;
    }
    th button {
      all: unset;
      cursor: pointer;
      color: #b8bfd0;
      font-weight: 600;
    }
    th button[aria-pressed='true'] {
      color: #fff;
      text-decoration: underline;
    }
    .state {
      text-transform: uppercase;
      font-size: 0.85rem;
      font-weight: 700;
      letter-spacing: 0.04em;
    }
    .state[data-state='live'] {
      color: #5ef08f;
    }
    .state[data-state='sold_out'] {
      color: #ff6b6b;
    }
    .state[data-state='ended'],
    .state[data-state='stopped'] {
      color: #8b93a5;
    }
    .bar {
      display: inline-block;
      width: 8rem;
      height: 0.6rem;
      border-radius: 0.3rem;
      background: #2a3142;
      overflow: hidden;
      vertical-align: middle;
      margin-right: 0.4rem;
    }
    .bar > span {
      display: block;
      height: 100%;
      background: linear-gradient(90deg, #f2c14e, #ff6b6b);
      transition: width 0.4s ease-out;
    }
    .rej {
      color: #b8bfd0;
      font-size: 0.9rem;
    }
  `;

  @property({ attribute: false }) deals: OpsDeal[] = [];
  @state() private sort: SortKey = 'speed';

  private sorted(): OpsDeal[] {
    const d = [...this.deals];
    const by: Record<SortKey, (a: OpsDeal, b: OpsDeal) => number> = {
      speed: (a, b) => b.ordersPerSec - a.ordersPerSec || b.grabsPerSec - a.grabsPerSec || b.orders - a.orders,
      state: (a, b) => (stateOrder[a.state] ?? 9) - (stateOrder[b.state] ?? 9) || b.ordersPerSec - a.ordersPerSec,
      sellThrough: (a, b) => b.sellThrough - a.sellThrough,
      gmv: (a, b) => b.gmvMinor - a.gmvMinor,
    };
    return d.sort((a, b) => by[this.sort](a, b) || a.id.localeCompare(b.id));
  }

  private header(key: SortKey, label: string) {
    return html`<th><button aria-pressed=${this.sort === key} data-testid="sort-${key}" @click=${() => (this.sort = key)}>${label}</button></th>`;
  }

  override render() {
    return html`<table>
      <thead>
        <tr>
          <th>Deal</th>
          ${this.header('state', 'State')} ${this.header('sellThrough', 'Sell-through')}
          <th>Sold / held / left</th>
          ${this.header('speed', 'Orders/s')}
          <th>Grabs/s</th>
          ${this.header('gmv', 'GMV')}
          <th>Refused</th>
        </tr>
      </thead>
      <tbody>
        ${repeat(
          this.sorted(),
          (d) => d.id,
          (d) => html`<tr data-testid="ops-deal-${d.id}">
            <td>${d.title}<br /><span class="rej">${d.brand}</span></td>
            <td><span class="state" data-state=${d.state}>${d.state.replace('_', ' ')}</span></td>
            <td><span class="bar"><span style="width:${Math.round(d.sellThrough * 100)}%"></span></span>${Math.round(d.sellThrough * 100)}%</td>
            <td>${d.sold} / ${d.held} / ${d.available}</td>
            <td>${d.ordersPerSec.toFixed(1)}</td>
            <td>${d.grabsPerSec.toFixed(1)}</td>
            <td>${formatMoney({ minor: d.gmvMinor, currency: d.price.currency })}</td>
            <td class="rej">${Object.entries(d.rejections).map(([k, n]) => `${k.replace('_', ' ')} ${n}`).join(', ') || '–'}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-deal-table': OpsDealTable;
  }
}
