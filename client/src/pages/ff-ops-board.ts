import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { StoreController } from '../controllers/store-controller.ts';
import { OpsStore } from '../data/ops-store.ts';
import type { OpsSnapshot, QueueDepth } from '../../../server/src/shared/ops-view.ts';
import '../components/ops-gmv.ts';
import '../components/ops-chart.ts';
import '../components/ops-deal-table.ts';
import '../components/ops-nodes.ts';
import '../components/ops-rooms.ts';
import type { RoomControlDetail } from '../components/ops-rooms.ts';
import { formatClock, formatCount } from '../components/ops-format.ts';
import { WallFit } from '../components/ops-wall-fit.ts';

const statusLabel = { need_token: 'Ops token needed', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;
const DEFAULT_ROTATE_SECONDS = 10;
// the side column has room for this many node lines; silent nodes are listed first
const NODES_SHOWN = 4;

/** The ops wall screen: GMV, rates, charts, per-deal sell-through, queues, latency and nodes,
 *  laid out for one 1920x1080 screen that nobody scrolls (the deal table turns pages). */
@customElement('ff-ops-board')
export class FfOpsBoard extends LitElement {
  static override styles = css`
    /* One 1920x1080 wall that cannot scroll: the board is exactly the viewport (WallFit zooms it
       to other screens), split by a grid whose flexible parts (deal table, charts) take what is
       left; nothing inside scrolls. */
    :host {
      display: grid;
      grid-template-rows: auto auto minmax(0, 1fr);
      gap: 1rem;
      height: 100vh;
      overflow: hidden;
      box-sizing: border-box;
      padding: 1rem 1.5rem;
      background: #121620;
      color: #eef1f7;
      font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
      font-size: 1.125rem;
      line-height: 1.3;
    }
    :host([data-view='form']) {
      display: block;
      height: auto;
      min-height: 100vh;
      overflow: visible;
    }
    header {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
      gap: 1rem;
    }
    h1 {
      margin: 0;
      font-size: 2rem;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    h2 {
      margin: 0 0 0.5rem;
      font-size: 1.125rem;
      font-weight: 600;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.06em;
    }
    .status {
      font-size: 1.25rem;
      color: #b8bfd0;
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
    .status[data-status='live'] {
      color: #5ef08f;
    }
    .status[data-status='reconnecting'] {
      color: #ff8a80;
    }
    .panel {
      background: #1b2130;
      border-radius: 12px;
      padding: 0.75rem 1.25rem;
      min-width: 0;
      min-height: 0;
      overflow: hidden;
    }
    .top {
      display: grid;
      grid-template-columns: 35rem minmax(0, 1fr);
      gap: 1rem;
    }
    .tiles {
      display: grid;
      grid-template-columns: repeat(5, minmax(0, 1fr));
      gap: 0.75rem 1rem;
      align-content: center;
    }
    .tile {
      min-width: 0;
    }
    .tile .v {
      white-space: nowrap;
      font-size: 2.75rem;
      font-weight: 700;
      line-height: 1.2;
      font-variant-numeric: tabular-nums;
    }
    .tile .k {
      font-size: 1.125rem;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.05em;
      white-space: nowrap;
    }
    .main {
      display: grid;
      grid-template-columns: minmax(0, 1fr) 30rem;
      gap: 1rem;
      min-height: 0;
    }
    .deals {
      display: grid;
      min-height: 0;
    }
    /* with waiting rooms on, their strip sits above the deal table, which keeps what is left */
    .left {
      display: grid;
      grid-template-rows: auto minmax(0, 1fr);
      gap: 1rem;
      min-height: 0;
      min-width: 0;
    }
    .side {
      display: grid;
      grid-template-rows: minmax(0, 1fr) minmax(0, 1fr) auto auto;
      gap: 1rem;
      min-height: 0;
    }
    .chart {
      display: grid;
      grid-template-rows: minmax(0, 1fr);
    }
    h2.next {
      margin-top: 0.5rem;
    }
    .refusals {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      grid-template-columns: repeat(2, minmax(0, 1fr));
      gap: 0 1.5rem;
      font-variant-numeric: tabular-nums;
    }
    .refusals li {
      display: flex;
      justify-content: space-between;
      gap: 0.5rem;
      white-space: nowrap;
    }
    .none {
      margin: 0;
      color: #b8bfd0;
    }
    table.q {
      width: 100%;
      font-size: 1.125rem;
      font-variant-numeric: tabular-nums;
      border-collapse: collapse;
    }
    table.q td,
    table.q th {
      text-align: right;
      padding: 0.1rem 0.3rem;
      white-space: nowrap;
    }
    table.q th {
      color: #b8bfd0;
      font-weight: 600;
    }
    table.q th:first-child,
    table.q td:first-child {
      text-align: left;
    }
    .bad {
      color: #ff8a80;
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
      border: 1px solid #4a5470;
      background: #1b2130;
      color: inherit;
    }
    /* white on #b3261e: 6.6:1 (the old #eef1f7 on #e0301e was 4.0:1) */
    button {
      background: #b3261e;
      border-color: #b3261e;
      color: #fff;
      font-weight: 700;
      cursor: pointer;
    }
    input:focus-visible,
    button:focus-visible {
      outline: 3px solid #4ea8f2;
      outline-offset: 2px;
    }
  `;

  private readonly store = new OpsStore();
  @state() private now = Date.now();
  @state() private roomError: string | null = null;
  private clock: ReturnType<typeof setInterval> | undefined;
  /** seconds per page of the deal table: `?rotate=N` (0 keeps one page until turned) */
  private readonly rotateSeconds = rotationFromUrl(location.search);

  private readonly fit = new WallFit(this);

  constructor() {
    super();
    new StoreController(this, this.store);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.store.start();
    this.addEventListener('room-control', this.onRoomControl);
    // heartbeat ages and the wall clock tick even when nothing else changes
    this.clock = setInterval(() => (this.now = Date.now()), 1_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.store.stop();
    this.removeEventListener('room-control', this.onRoomControl);
    clearInterval(this.clock);
  }

  protected override willUpdate(): void {
    // the token form is a page of its own; the board is one fixed screen
    const form = this.store.status === 'need_token';
    this.dataset.view = form ? 'form' : 'board';
    this.fit.enabled = !form;
  }

  private readonly onRoomControl = async (e: CustomEvent<RoomControlDetail>) => {
    const { deal, ...body } = e.detail;
    this.roomError = await this.store.controlRoom(deal, body);
  };

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
        <span class="status" role="status" data-testid="ops-status" data-status=${s.status}>${statusLabel[s.status]} · ${formatClock(this.now, true)}</span>
      </header>
      ${snap ? this.renderBoard(snap) : html`<p>Waiting for the first snapshot…</p>`}
    `;
  }

  private renderBoard(snap: OpsSnapshot) {
    const f = snap.festival;
    const h = this.store.history;
    const times = h.map((p) => p.t);
    const q = snap.queues;
    const lat = (v: number | null) => (v === null ? '–' : `${v < 10 ? v.toFixed(1) : formatCount(Math.round(v))} ms`);
    return html`
      <section class="top">
        <div class="panel">
          ${f
            ? html`<ops-gmv .total=${f.gmvDisplay} .held=${f.heldValueDisplay} .perCurrency=${f.gmv}></ops-gmv>`
            : html`<p>No festival is running.</p>`}
        </div>
        <div class="panel tiles">
          ${this.tile('Orders/s', f ? rate(f.ordersPerSec) : '0', 'orders-per-sec')}
          ${this.tile('Grabs/s', f ? rate(f.grabsPerSec) : '0', 'grabs-per-sec')}
          ${this.tile('Orders', formatCount(f?.orders ?? 0), 'orders')}
          ${this.tile('Sell-through', f ? `${Math.round(f.sellThrough * 100)}%` : '–', 'sell-through')}
          ${this.tile('Shoppers online', formatCount(snap.shoppers), 'shoppers')}
          ${this.tile('Grab p50', lat(snap.latency.p50), 'latency')}
          ${this.tile('Grab p99', lat(snap.latency.p99), 'latency-p99')}
          ${this.tile('Order queue', q ? formatCount(q.orders.waiting + q.orders.active) : '–', 'queue')}
          ${this.tile('Drain /s', q ? rate(q.drainPerSec) : '–', 'drain')}
          ${this.tile('Dropped msgs', formatCount(snap.dropped), 'dropped')}
        </div>
      </section>
      <section class="main">
        ${this.renderDealsAndRooms(snap)}
        <div class="side">
          <div class="panel chart">
            <ops-chart id="orders" heading="Orders per second (5 min)" .times=${times}
              .series=${[{ label: 'orders/s', color: '#5ef08f', values: h.map((p) => p.ordersPerSec) }]}></ops-chart>
          </div>
          <div class="panel chart">
            <ops-chart id="grabs" heading="Grabs per second (5 min)" .times=${times}
              .series=${[{ label: 'grabs/s', color: '#4ea8f2', values: h.map((p) => p.grabsPerSec) }]}></ops-chart>
          </div>
          <div class="panel">
            <h2>Queues</h2>
            ${q ? this.renderQueues(q) : html`<p>–</p>`}
            <h2 class="next">Refusals</h2>
            ${this.renderRejections(f?.rejections ?? {})}
          </div>
          <div class="panel">
            <h2>Nodes</h2>
            <ops-nodes .nodes=${snap.nodes} .now=${this.now} .max=${NODES_SHOWN}></ops-nodes>
          </div>
        </div>
      </section>
    `;
  }

  private renderDealsAndRooms(snap: OpsSnapshot) {
    const deals = html`<div class="panel deals">
      <ops-deal-table .deals=${snap.deals} .rotateSeconds=${this.rotateSeconds}></ops-deal-table>
    </div>`;
    const rooms = (snap.rooms ?? []).filter((r) => r.state !== 'off');
    if (rooms.length === 0) return deals;
    const titles = new Map(snap.deals.map((d) => [d.id, d.title]));
    return html`<div class="left">
      <div class="panel" data-testid="ops-rooms">
        <h2>Waiting rooms</h2>
        <ops-rooms .rooms=${rooms} .titles=${titles} .error=${this.roomError}></ops-rooms>
      </div>
      ${deals}
    </div>`;
  }

  private tile(label: string, value: string, id: string) {
    return html`<div class="tile"><div class="v" data-testid=${id}>${value}</div><div class="k">${label}</div></div>`;
  }

  private renderRejections(r: Record<string, number | undefined>) {
    const rows = Object.entries(r).filter(([, n]) => n);
    if (rows.length === 0) return html`<p class="none">None yet.</p>`;
    return html`<ul class="refusals">
      ${rows.map(([k, n]) => html`<li><span>${k.replace('_', ' ')}</span><span data-testid="rej-${k}">${formatCount(n ?? 0)}</span></li>`)}
    </ul>`;
  }

  private renderQueues(q: NonNullable<OpsSnapshot['queues']>) {
    const row = (name: string, d: QueueDepth) => html`<tr>
      <td>${name}</td><td>${formatCount(d.waiting)}</td><td>${formatCount(d.active)}</td><td>${formatCount(d.delayed)}</td><td class=${d.failed ? 'bad' : ''}>${formatCount(d.failed)}</td>
    </tr>`;
    return html`<table class="q">
      <tr><th></th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th></tr>
      ${row('orders', q.orders)} ${row('expiry', q.expiry)} ${row('payments', q.payments)}
    </table>`;
  }
}

/** A rate on a tile: tenths while small, whole (and compact) once large. */
function rate(perSec: number): string {
  return perSec < 100 ? perSec.toFixed(1) : formatCount(Math.round(perSec));
}

/** `?rotate=N`: seconds per page of deals, 0 to 3600; anything else means the default. */
export function rotationFromUrl(search: string): number {
  const raw = new URLSearchParams(search).get('rotate');
  const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 3600 ? n : DEFAULT_ROTATE_SECONDS;
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-ops-board': FfOpsBoard;
  }
}
