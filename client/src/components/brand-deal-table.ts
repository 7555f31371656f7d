import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BrandDealView } from '../data/brand-api.ts';
import { formatMoney } from './format.ts';
import { bucketsNote, bucketsText } from './brand-buckets.ts';

export type DealAction = 'edit' | 'room' | 'cancel' | 'stop';

const stateLabel: Record<string, string> = {
  scheduled: 'Scheduled', warming: 'Warming', live: 'Live', sold_out: 'Sold out', ended: 'Ended', stopped: 'Stopped', cancelled: 'Cancelled',
};

/** The brand's deals with state and live counters; fires `deal-action` {action, deal}. */
// Short local times keep the table (and its action buttons) within a laptop screen; the full
// date is in the cell's tooltip.
const when = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

@customElement('brand-deal-table')
export class BrandDealTable extends LitElement {
  static override styles = css`
    :host { display: block; overflow-x: auto; background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
    table { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
    th, td { padding: 0.45rem 0.6rem; text-align: left; border-bottom: 1px solid #ececf1; white-space: nowrap; }
    th { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.03em; color: #6b6b76; background: #fafafc; position: sticky; top: 0; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.title { white-space: normal; min-width: 12rem; }
    .state { display: inline-block; border-radius: 999px; padding: 0.05rem 0.55rem; font-size: 0.75rem; font-weight: 600; background: #ececf1; }
    .state[data-state='live'] { background: #1e9e4a; color: #fff; }
    .state[data-state='warming'] { background: #f2a600; color: #fff; }
    .state[data-state='sold_out'], .state[data-state='stopped'] { background: #d93025; color: #fff; }
    .state[data-state='cancelled'], .state[data-state='ended'] { background: #c4c4cc; }
    button { font: inherit; font-size: 0.8125rem; padding: 0.2rem 0.6rem; border-radius: 5px; border: 1px solid #c4c4cc; background: #fff; cursor: pointer; }
    button.danger { border-color: #d93025; color: #d93025; }
    .empty { padding: 1.5rem; color: #6b6b76; }
  `;

  @property({ attribute: false }) deals: BrandDealView[] = [];

  private fire(action: DealAction, deal: BrandDealView) {
    this.dispatchEvent(new CustomEvent('deal-action', { detail: { action, deal } }));
  }

  override render() {
    if (this.deals.length === 0) return html`<p class="empty">No deals yet: create one, or upload a CSV.</p>`;
    return html`<table>
      <thead><tr><th>#</th><th>Product</th><th>State</th><th>Starts</th><th>Ends</th><th>Deal price</th>
        <th>Stock</th><th title="stock buckets: a hot deal's stock split so more servers share its grabs">Buckets</th><th>Held</th><th>Sold</th><th>Left</th><th>GMV</th><th></th></tr></thead>
      <tbody>${this.deals.map((d) => html`<tr data-testid="deal-row-${d.id}">
        <td>${d.id}</td>
        <td class="title">${d.title}</td>
        <td><span class="state" data-state=${d.state} data-testid="deal-state-${d.id}">${stateLabel[d.state] ?? d.state}</span></td>
        <td title=${new Date(d.startsAt).toString()}>${when.format(d.startsAt)}</td>
        <td title=${new Date(d.endsAt).toString()}>${when.format(d.endsAt)}</td>
        <td class="num">${formatMoney({ minor: d.dealPriceMinor, currency: d.currency })}</td>
        <td class="num">${d.stock}</td>
        <td class="num" data-testid="deal-buckets-${d.id}" title=${bucketsNote(d)}>${bucketsText(d)}</td>
        <td class="num" data-testid="deal-held-${d.id}">${d.held}</td>
        <td class="num" data-testid="deal-sold-${d.id}">${d.sold}</td>
        <td class="num">${d.available}</td>
        <td class="num" data-testid="deal-gmv-${d.id}">${formatMoney({ minor: d.gmvMinor, currency: d.currency })}</td>
        <td>
          ${d.editable ? html`<button @click=${() => this.fire('edit', d)} data-testid="edit-${d.id}">Edit</button>`
            : d.paymentEditable ? html`<button @click=${() => this.fire('edit', d)} data-testid="payment-${d.id}">Payment methods</button>` : nothing}
          ${['scheduled', 'warming', 'live'].includes(d.state) ? html`<button @click=${() => this.fire('room', d)} data-testid="room-${d.id}">Waiting room</button>` : nothing}
          ${d.cancellable ? html`<button class="danger" @click=${() => this.fire('cancel', d)} data-testid="cancel-${d.id}">Cancel</button>` : nothing}
          ${d.stoppable ? html`<button class="danger" @click=${() => this.fire('stop', d)} data-testid="stop-${d.id}">Stop</button>` : nothing}
        </td>
      </tr>`)}</tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'brand-deal-table': BrandDealTable;
  }
}
