import { LitElement, css, html, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { OpsDeal } from '../../../server/src/shared/ops-view.ts';
import { dealBoardState, formatCount, formatMoneyToFit } from './ops-format.ts';

type SortKey = 'speed' | 'state' | 'sellThrough' | 'gmv';

// live first, then what is about to open, then what is over
const stateOrder: Record<string, number> = { live: 0, warming: 1, scheduled: 2, sold_out: 3, ended: 4, stopped: 5, cancelled: 6 };
// GMV cells show exact money up to this many characters, else compact ("PKR 12.3M")
const GMV_CHARS = 11;

/** Turns the table's pages on a timer while the board is on screen; a wall has no hands. */
class PageRotation implements ReactiveController {
  private timer: ReturnType<typeof setInterval> | undefined;
  private everyS = 0;

  constructor(
    host: ReactiveControllerHost,
    private readonly turn: () => void,
  ) {
    host.addController(this);
  }

  /** seconds per page; 0 stops the rotation */
  set seconds(s: number) {
    if (s === this.everyS) return;
    this.everyS = s;
    this.restart();
  }

  get seconds(): number {
    return this.everyS;
  }

  /** starts the count again, so a page someone just chose stays its full time */
  restart(): void {
    clearInterval(this.timer);
    this.timer = this.everyS > 0 ? setInterval(this.turn, this.everyS * 1000) : undefined;
  }

  hostConnected(): void {
    this.restart();
  }

  hostDisconnected(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Per-deal sell-through, sortable by speed (orders/s), state, sell-through or GMV. A wall cannot
 * scroll, so the table shows as many rows as its box holds and turns pages on a timer
 * (`rotateSeconds`), with buttons for whoever stands at the screen. Rows are keyed by deal id,
 * so a re-sort moves rows instead of redrawing them.
 */
@customElement('ops-deal-table')
export class OpsDealTable extends LitElement {
  static override styles = css`
    :host {
      display: grid;
      grid-template-rows: auto minmax(0, 1fr);
      gap: 0.5rem;
      min-height: 0;
      --row-h: 2.75rem;
    }
    .bar-top {
      display: flex;
      align-items: center;
      gap: 0.75rem;
    }
    h2 {
      margin: 0 auto 0 0;
      font-size: 1.125rem;
      font-weight: 600;
      color: #b8bfd0;
      text-transform: uppercase;
      letter-spacing: 0.06em;
    }
    .range {
      font-size: 1.125rem;
      color: #dfe4ee;
      font-variant-numeric: tabular-nums;
    }
    .pager {
      font: inherit;
      font-size: 1.125rem;
      font-weight: 600;
      min-width: 2.75rem;
      padding: 0.2rem 0.7rem;
      border-radius: 8px;
      border: 1px solid #4a5470;
      background: #2a3142;
      color: #eef1f7;
      cursor: pointer;
    }
    .pager:focus-visible,
    th button:focus-visible {
      outline: 3px solid #4ea8f2;
      outline-offset: 2px;
    }
    .box {
      min-height: 0;
      overflow: hidden;
    }
    table {
      width: 100%;
      table-layout: fixed;
      border-collapse: collapse;
      font-size: 1.25rem;
      font-variant-numeric: tabular-nums;
    }
    tr {
      height: var(--row-h);
    }
    th,
    td {
      padding: 0 0.5rem;
      text-align: right;
      border-bottom: 1px solid #2a3142;
      white-space: nowrap;
      overflow: hidden;
    }
    /* only a deal's name may be cut (with "…", whole in its title); numbers are sized to fit */
    td:first-child {
      text-overflow: ellipsis;
    }
    th {
      font-size: 1.125rem;
      font-weight: 600;
      color: #b8bfd0;
    }
    th:first-child,
    td:first-child {
      text-align: left;
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
      text-underline-offset: 0.2em;
    }
    .brand {
      color: #b8bfd0;
      font-size: 1.125rem;
    }
    .state {
      font-size: 1.125rem;
      font-weight: 700;
    }
    .state[data-state='live'] {
      color: #5ef08f;
      text-transform: uppercase;
      letter-spacing: 0.04em;
    }
    .state[data-state='sold_out'] {
      color: #ff8a80;
    }
    .state[data-state='ended'],
    .state[data-state='stopped'],
    .state[data-state='cancelled'] {
      color: #b8bfd0;
    }
    .bar {
      display: inline-block;
      width: 3rem;
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
    .muted {
      color: #b8bfd0;
    }
  `;

  @property({ attribute: false }) deals: OpsDeal[] = [];
  /** seconds per page of rows; 0 keeps the page until someone turns it */
  @property({ type: Number }) rotateSeconds = 10;
  @state() private sort: SortKey = 'speed';
  @state() private page = 0;
  @state() private paused = false;
  /** rows the box holds, measured; a first guess until then */
  @state() private perPage = 10;
  private readonly rotation = new PageRotation(this, () => this.turnPage(1));
  private resize: ResizeObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize = new ResizeObserver(() => this.measure());
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.resize = null;
  }

  protected override willUpdate(): void {
    this.rotation.seconds = this.paused ? 0 : Math.max(0, this.rotateSeconds);
    this.page = Math.min(this.page, this.pages() - 1);
  }

  protected override updated(): void {
    this.measure();
  }

  /** How many rows fit: the box's height less the header row, in whole rows. */
  private measure(): void {
    const box = this.renderRoot.querySelector<HTMLElement>('.box');
    const head = this.renderRoot.querySelector<HTMLElement>('thead tr');
    if (!box || !head) return;
    // layout pixels on both sides (clientHeight, offsetHeight): the board may be zoomed
    const rowH = head.offsetHeight;
    if (rowH <= 0) return;
    const fits = Math.max(1, Math.floor((box.clientHeight - rowH) / rowH));
    if (fits !== this.perPage) this.perPage = fits;
  }

  private pages(): number {
    return Math.max(1, Math.ceil(this.deals.length / this.perPage));
  }

  private turnPage(by: number): void {
    const n = this.pages();
    this.page = (((this.page + by) % n) + n) % n;
  }

  private onTurn(by: number): void {
    this.turnPage(by);
    this.rotation.restart();
  }

  private sorted(): OpsDeal[] {
    const d = [...this.deals];
    const rank = (x: OpsDeal) => stateOrder[dealBoardState(x).key] ?? 9;
    const by: Record<SortKey, (a: OpsDeal, b: OpsDeal) => number> = {
      speed: (a, b) => b.ordersPerSec - a.ordersPerSec || b.grabsPerSec - a.grabsPerSec || b.orders - a.orders,
      state: (a, b) => rank(a) - rank(b) || b.ordersPerSec - a.ordersPerSec,
      sellThrough: (a, b) => b.sellThrough - a.sellThrough,
      gmv: (a, b) => b.gmvMinor - a.gmvMinor,
    };
    return d.sort((a, b) => by[this.sort](a, b) || a.id.localeCompare(b.id));
  }

  private header(key: SortKey, label: string) {
    return html`<th><button aria-pressed=${this.sort === key} data-testid="sort-${key}" @click=${() => (this.sort = key)}>${label}</button></th>`;
  }

  override render() {
    const total = this.deals.length;
    const first = this.page * this.perPage;
    const shown = this.sorted().slice(first, first + this.perPage);
    const pages = this.pages();
    return html`
      <div class="bar-top">
        <h2>Deals</h2>
        <span class="range" data-testid="deal-range">${total ? `${first + 1}–${first + shown.length} of ${total}` : 'none'}${pages > 1 ? ` · page ${this.page + 1}/${pages}` : ''}</span>
        ${pages > 1
          ? html`<button class="pager" aria-label="Previous page" data-testid="page-prev" @click=${() => this.onTurn(-1)}>◀</button>
              <button class="pager" aria-label="Next page" data-testid="page-next" @click=${() => this.onTurn(1)}>▶</button>
              ${this.rotateSeconds > 0
                ? html`<button class="pager" aria-pressed=${this.paused} data-testid="page-pause" @click=${() => (this.paused = !this.paused)}>${this.paused ? 'Resume' : 'Pause'}</button>`
                : ''}`
          : ''}
      </div>
      <div class="box">
        <table>
          <colgroup>
            <col style="width:21%" /><col style="width:17%" /><col style="width:10%" /><col style="width:14%" />
            <col style="width:8%" /><col style="width:8%" /><col style="width:13%" /><col style="width:9%" />
          </colgroup>
          <thead>
            <tr>
              <th>Deal</th>
              ${this.header('state', 'State')} ${this.header('sellThrough', 'Sold %')}
              <th title="sold / held / left">Sold/held/left</th>
              ${this.header('speed', 'Orders/s')}
              <th>Grabs/s</th>
              ${this.header('gmv', 'GMV')}
              <th title="grabs refused (reasons on hover)">Refused</th>
            </tr>
          </thead>
          <tbody>
            ${repeat(shown, (d) => d.id, (d) => this.row(d))}
          </tbody>
        </table>
      </div>
    `;
  }

  private row(d: OpsDeal) {
    const st = dealBoardState(d);
    const pct = Math.round(d.sellThrough * 100);
    const reasons = Object.entries(d.rejections).filter(([, n]) => n);
    const refused = reasons.reduce((sum, [, n]) => sum + (n ?? 0), 0);
    return html`<tr data-testid="ops-deal-${d.id}">
      <td title="${d.title} · ${d.brand}">${d.title} <span class="brand">· ${d.brand}</span></td>
      <td><span class="state" data-state=${st.key}>${st.label}</span></td>
      <td><span class="bar"><span style="width:${pct}%"></span></span>${pct}%</td>
      <td>${formatCount(d.sold)}<span class="muted">/</span>${formatCount(d.held)}<span class="muted">/</span>${formatCount(d.available)}</td>
      <td>${d.ordersPerSec.toFixed(1)}</td>
      <td>${d.grabsPerSec.toFixed(1)}</td>
      <td>${formatMoneyToFit({ minor: d.gmvMinor, currency: d.price.currency }, GMV_CHARS)}</td>
      <td title=${reasons.map(([k, n]) => `${k.replace('_', ' ')} ${n}`).join(', ')}>${refused ? formatCount(refused) : '–'}</td>
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-deal-table': OpsDealTable;
  }
}
