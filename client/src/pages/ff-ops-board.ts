import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { StoreController } from '../controllers/store-controller.ts';
import { OpsStore } from '../data/ops-store.ts';
import type { OpsSnapshot, QueueDepth } from '../../../server/src/shared/ops-view.ts';
import '../components/ops-gmv.ts';
import '../components/ops-chart.ts';
import '../components/ops-deal-table.ts';
import '../components/ops-nodes.ts';

const statusLabel = { need_token: 'Ops token needed', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;

/** The ops wall screen: GMV, rates, charts, per-deal sell-through, queues, latency and nodes. */
@customElement('ff-ops-board')
export class FfOpsBoard extends LitElement {
  static override styles = css`
    :host {
      display: block;
      min-height: 100vh;
      box-sizing: border-box;
      padding: 1rem 1.5rem 2rem;
      background: #121620;
      color: #eef1f7;
      font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    }
    header {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
      gap: 1rem;
    }
    h1 {
      margin: 0;
      font-size: 1.6rem;
    }
    h2 {
      margin: 0 0 0.5rem;
      font-size: 1rem;
      font-weight: 600;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.06em;
    }
    .status {
      font-size: 1rem;
      color: #b8bfd0;
    }
    .status[data-status='live'] {
      color: #5ef08f;
    }
    .status[data-status='reconnecting'] {
      color: #ff6b6b;
    }
    .panel {
      background: #1b2130;
      border-radius: 12px;
      padding: 1rem 1.25rem;
      min-width: 0;
    }
    .top {
      display: grid;
      grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr);
      gap: 1rem;
      margin-top: 1rem;
    }
    .tiles {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr));
      gap: 0.75rem;
    }
    .tile .v {
      white-space: nowrap;
      font-size: clamp(1.25rem, 2.2vw, 2rem);
      font-weight: 700;
      font-variant-numeric: tabular-nums;
    }
    .tile .k {
      font-size: 0.85rem;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.05em;
    }
    .charts {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr));
      gap: 1rem;
      margin-top: 1rem;
    }
    .row {
      display: grid;
      grid-template-columns: minmax(0, 2.2fr) minmax(0, 1fr);
      gap: 1rem;
      margin-top: 1rem;
    }
    .side {
      display: grid;
      gap: 1rem;
      align-content: start;
    }
    table.q {
      width: 100%;
      font-size: 1rem;
      font-variant-numeric: tabular-nums;
      border-collapse: collapse;
    }
    table.q td,
    table.q th {
      text-align: right;
      padding: 0.2rem 0.4rem;
    }
    table.q th:first-child,
    table.q td:first-child {
      text-align: left;
    }
    .bad {
      color: #ff6b6b;
    }
    form {
      max-width: 28rem;
      margin: 15vh auto;
      display: grid;
      gap: 0.75rem;
    }
    input,
    button {
      font: inherit;
      padding: 0.6rem 0.8rem;
      border-radius: 8px;
      border: 1px solid #3a4358;
      background: #1b2130;
      color: inherit;
    }
    button {
      background: #e0301e;
      border-color: #e0301e;
      font-weight: 700;
      cursor: pointer;
    }
    @media (max-width: 900px) {
      .top,
      .row {
        grid-template-columns: 1fr;
      }
    }
  `;

  private readonly store = new OpsStore();
  @state() private now = Date.now();
  private clock: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    new StoreController(this, this.store);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.store.start();
    // heartbeat ages tick even when nothing else changes
    this.clock = setInterval(() => (this.now = Date.now()), 1_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.store.stop();
    clearInterval(this.clock);
  }

  private onToken(e: SubmitEvent) {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector('input')!;
    if (input.value.trim()) this.store.setToken(input.value);
  }

  override render() {
    const s = this.store;
    if (s.status === 'need_token') {
      return html`<form @submit=${this.onToken} data-testid="token-form">
        <h1>flashfest ops</h1>
        <label for="tok">Ops token (OPS_TOKEN of the gateway)</label>
        <input id="tok" type="password" autocomplete="current-password" data-testid="token" required />
        ${s.tokenError ? html`<p class="bad" role="alert">${s.tokenError}</p>` : nothing}
        <button type="submit">Open the board</button>
      </form>`;
    }
    const snap = s.snapshot;
    return html`
      <header>
        <h1>${snap?.festival?.name ?? 'flashfest'} · live sales</h1>
        <span class="status" role="status" data-testid="ops-status" data-status=${s.status}>${statusLabel[s.status]}</span>
      </header>
      ${snap ? this.renderBoard(snap) : html`<p>Waiting for the first snapshot…</p>`}
    `;
  }

  private renderBoard(snap: OpsSnapshot) {
    const f = snap.festival;
    const h = this.store.history;
    const times = h.map((p) => p.t);
    const q = snap.queues;
    const lat = (v: number | null) => (v === null ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
    return html`
      <section class="top">
        <div class="panel">
          ${f
            ? html`<ops-gmv .total=${f.gmvDisplay} .held=${f.heldValueDisplay} .perCurrency=${f.gmv}></ops-gmv>`
            : html`<p>No festival is running.</p>`}
        </div>
        <div class="panel tiles">
          ${this.tile('Orders/s', f ? f.ordersPerSec.toFixed(1) : '0', 'orders-per-sec')}
          ${this.tile('Grabs/s', f ? f.grabsPerSec.toFixed(1) : '0', 'grabs-per-sec')}
          ${this.tile('Orders', String(f?.orders ?? 0), 'orders')}
          ${this.tile('Sell-through', f ? `${Math.round(f.sellThrough * 100)}%` : '–', 'sell-through')}
          ${this.tile('Shoppers online', String(snap.shoppers), 'shoppers')}
          ${this.tile('Grab p50 / p99', `${lat(snap.latency.p50)} / ${lat(snap.latency.p99)}`, 'latency')}
          ${this.tile('Order queue', q ? `${q.orders.waiting + q.orders.active}` : '–', 'queue')}
          ${this.tile('Drain /s', q ? q.drainPerSec.toFixed(1) : '–', 'drain')}
          ${this.tile('Dropped msgs', String(snap.dropped), 'dropped')}
        </div>
      </section>
      <section class="charts">
        <div class="panel">
          <ops-chart id="orders" heading="Orders per second (5 min)" .times=${times}
            .series=${[{ label: 'orders/s', color: '#5ef08f', values: h.map((p) => p.ordersPerSec) }]}></ops-chart>
        </div>
        <div class="panel">
          <ops-chart id="grabs" heading="Grabs per second (5 min)" .times=${times}
            .series=${[{ label: 'grabs/s', color: '#4ea8f2', values: h.map((p) => p.grabsPerSec) }]}></ops-chart>
        </div>
      </section>
      <section class="row">
        <div class="panel">
          <h2>Deals</h2>
          <ops-deal-table .deals=${snap.deals}></ops-deal-table>
        </div>
        <div class="side">
          <div class="panel">
            <h2>Refusals</h2>
            ${this.renderRejections(f?.rejections ?? {})}
          </div>
          <div class="panel">
            <h2>Queues</h2>
            ${q ? this.renderQueues(q) : html`<p>–</p>`}
          </div>
          <div class="panel">
            <h2>Nodes</h2>
            <ops-nodes .nodes=${snap.nodes} .now=${this.now}></ops-nodes>
          </div>
        </div>
      </section>
    `;
  }

  private tile(label: string, value: string, id: string) {
    return html`<div class="tile"><div class="v" data-testid=${id}>${value}</div><div class="k">${label}</div></div>`;
  }

  private renderRejections(r: Record<string, number | undefined>) {
    const rows = Object.entries(r).filter(([, n]) => n);
    if (rows.length === 0) return html`<p>None yet.</p>`;
    return html`<table class="q">
      ${rows.map(([k, n]) => html`<tr><td>${k.replace('_', ' ')}</td><td data-testid="rej-${k}">${n}</td></tr>`)}
    </table>`;
  }

  private renderQueues(q: NonNullable<OpsSnapshot['queues']>) {
    const row = (name: string, d: QueueDepth) => html`<tr>
      <td>${name}</td><td>${d.waiting}</td><td>${d.active}</td><td>${d.delayed}</td><td class=${d.failed ? 'bad' : ''}>${d.failed}</td>
    </tr>`;
    return html`<table class="q">
      <tr><th></th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr>
      ${row('orders', q.orders)} ${row('expiry', q.expiry)} ${row('payments', q.payments)}
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-ops-board': FfOpsBoard;
  }
}
