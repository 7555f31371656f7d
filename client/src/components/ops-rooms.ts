import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { OpsRoom } from '../../../server/src/shared/ops-view.ts';
import { formatCount } from './ops-format.ts';

export interface RoomControlDetail {
  deal: string;
  paused?: boolean;
  outflow?: number;
}

/** How many room tiles fit the strip above the deal table at 1920x1080; past that, "+ N more". */
const ROOMS_SHOWN = 3;

/**
 * The waiting rooms on the ops wall: per room the line length, admitted/s, abandoned places and
 * the time from opening to sold out, with Pause/Resume and the outflow (shoppers let in per
 * second). Fires `room-control` (the board sends it with the ops token). Busiest lines first.
 */
@customElement('ops-rooms')
export class OpsRooms extends LitElement {
  static override styles = css`
    :host {
      display: block;
      min-width: 0;
    }
    .strip {
      display: grid;
      grid-template-columns: repeat(${ROOMS_SHOWN}, minmax(0, 1fr));
      gap: 1rem;
    }
    .room {
      min-width: 0;
      display: grid;
      align-content: start;
      gap: 0.3rem;
    }
    .head {
      display: flex;
      gap: 0.5rem;
      align-items: baseline;
      min-width: 0;
    }
    .name {
      flex: 1;
      min-width: 0;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      font-weight: 600;
    }
    .state {
      white-space: nowrap;
      color: #5ef08f;
    }
    .state[data-state='paused'] {
      color: #f2c14e;
    }
    .state[data-state='closed'] {
      color: #ff8a80;
    }
    .figs {
      display: grid;
      grid-template-columns: repeat(4, minmax(0, 1fr));
      gap: 0.5rem;
      font-variant-numeric: tabular-nums;
    }
    .v {
      font-size: 1.75rem;
      font-weight: 700;
      line-height: 1.15;
      white-space: nowrap;
    }
    .k {
      color: #b8bfd0;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    form {
      display: flex;
      gap: 0.5rem;
      align-items: center;
      min-width: 0;
    }
    label {
      color: #b8bfd0;
      white-space: nowrap;
    }
    input {
      width: 6rem;
      min-width: 0;
      font: inherit;
      padding: 0.2rem 0.4rem;
      border-radius: 6px;
      border: 1px solid #4a5470;
      background: #121620;
      color: inherit;
    }
    button {
      font: inherit;
      font-weight: 700;
      padding: 0.2rem 0.7rem;
      border-radius: 6px;
      border: 1px solid #4a5470;
      background: #2a3142;
      color: #eef1f7;
      cursor: pointer;
      white-space: nowrap;
    }
    button.pause {
      margin-inline-start: auto;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 3px solid #4ea8f2;
      outline-offset: 2px;
    }
    .more,
    .bad {
      margin: 0.3rem 0 0;
      color: #b8bfd0;
    }
    .bad {
      color: #ff8a80;
    }
  `;

  @property({ attribute: false }) rooms: OpsRoom[] = [];
  /** deal id -> title, from the snapshot's deals */
  @property({ attribute: false }) titles = new Map<string, string>();
  /** the last control that failed, said in ops' words */
  @property() error: string | null = null;

  override render() {
    const live = [...this.rooms].sort((a, b) => b.waiting - a.waiting);
    const shown = live.slice(0, ROOMS_SHOWN);
    return html`<div class="strip">${shown.map((r) => this.renderRoom(r))}</div>
      ${live.length > shown.length ? html`<p class="more">+ ${live.length - shown.length} more rooms (GET /api/ops/rooms)</p>` : nothing}
      ${this.error ? html`<p class="bad" role="alert" data-testid="ops-room-error">${this.error}</p>` : nothing}`;
  }

  private renderRoom(r: OpsRoom) {
    const title = this.titles.get(r.deal) ?? `Deal ${r.deal}`;
    const state = r.state === 'closed' ? 'closed' : r.paused ? 'paused' : 'open';
    const stateLabel = r.state === 'closed' ? `closed: ${(r.reason ?? 'closed').replace('_', ' ')}`
      : r.paused ? 'paused' : r.state === 'open' ? `${formatCount(r.outflow)}/s max` : r.state === 'pre' ? 'pre-queue' : 'drawing';
    const fig = (label: string, value: string, id: string) =>
      html`<div><div class="v" data-testid="ops-room-${id}-${r.deal}">${value}</div><div class="k">${label}</div></div>`;
    return html`<div class="room" data-testid="ops-room-${r.deal}" data-paused=${r.paused ? 'true' : 'false'}>
      <div class="head">
        <span class="name" title=${title}>${title}</span>
        <span class="state" data-state=${state} data-testid="ops-room-state-${r.deal}">${stateLabel}</span>
      </div>
      <div class="figs">
        ${fig('in line', formatCount(r.waiting), 'waiting')}
        ${fig('admitted/s', r.admittedPerSecond < 100 ? r.admittedPerSecond.toFixed(1) : formatCount(Math.round(r.admittedPerSecond)), 'rate')}
        ${fig('abandoned', formatCount(r.abandoned), 'abandoned')}
        ${fig('to sold out', r.timeToSoldOutMs === null ? '–' : formatElapsed(r.timeToSoldOutMs), 'soldout')}
      </div>
      ${r.state === 'closed' ? nothing : html`<form @submit=${(e: SubmitEvent) => this.onOutflow(e, r.deal)}>
        <label for="of-${r.deal}">outflow/s</label>
        <input id="of-${r.deal}" type="number" min="1" max="1000000" step="1" required .value=${String(r.outflow)}
          data-testid="ops-room-outflow-${r.deal}" />
        <button type="submit" data-testid="ops-room-outflow-set-${r.deal}">Set</button>
        <button type="button" class="pause" data-testid="ops-room-pause-${r.deal}"
          @click=${() => this.fire({ deal: r.deal, paused: !r.paused })}>${r.paused ? 'Resume' : 'Pause'}</button>
      </form>`}
    </div>`;
  }

  private onOutflow(e: SubmitEvent, deal: string) {
    e.preventDefault();
    const value = Number((e.target as HTMLFormElement).querySelector('input')!.value);
    this.fire({ deal, outflow: value });
  }

  private fire(detail: RoomControlDetail) {
    this.dispatchEvent(new CustomEvent<RoomControlDetail>('room-control', { detail, bubbles: true, composed: true }));
  }
}

/** "0:42", "12:05", "1:02:03": minutes from opening to sold out. */
function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ops-rooms': OpsRooms;
  }
  interface HTMLElementEventMap {
    'room-control': CustomEvent<RoomControlDetail>;
  }
}
