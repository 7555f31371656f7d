import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { etaRange } from '../../../server/src/shared/room-protocol.ts';
import type { RoomView } from '../data/room-store.ts';
import { intlLocale } from '../i18n/locale.ts';
import { formatCount, formatEta } from './format.ts';
import './ff-countdown.ts';
import { spinnerStyles } from './spinner-styles.ts';

export interface RoomEventDetail {
  deal: string;
}

/**
 * A deal's waiting line as one shopper sees it: the door ("Join the line"), the place and the
 * wait ("about 1,240 ahead, 30–45 sec"), the fair draw with its committed hash (and, after the
 * draw, the seed and how to check it), the turn to grab with its countdown, and "sold out" in
 * place of the line once the room closes. Presentational: fires `ff-room-join` / `ff-room-leave`
 * (bubbling, composed). Reflects the status as `data-status` (the end-to-end tests read it).
 */
@customElement('ff-waiting-room')
@localized()
export class FfWaitingRoom extends LitElement {
  static override styles = [spinnerStyles, css`
    :host {
      display: block;
      border: 1px solid #d8d8de;
      border-radius: 10px;
      padding: 0.6rem 0.7rem;
      background: #fafafc;
      font-size: 0.875rem;
      line-height: 1.4;
      color: #1d1d24;
      min-width: 0;
      overflow-wrap: anywhere;
    }
    :host([data-status='admitted']) {
      border-color: var(--ff-pay, #137a3a);
      background: #eef8f1;
    }
    :host([data-status='closed']) {
      background: #f3f3f5;
    }
    p {
      margin: 0 0 0.4rem;
    }
    .place {
      font-size: 1rem;
      font-weight: 700;
    }
    .closed {
      font-size: 1rem;
      font-weight: 700;
      color: #b00020;
      margin: 0;
    }
    .muted {
      color: #4a4a55;
    }
    .draw {
      font-size: 0.8125rem;
      color: #4a4a55;
    }
    code {
      font-family: ui-monospace, monospace;
      font-size: 0.75rem;
      overflow-wrap: anywhere;
      word-break: break-all;
    }
    .row {
      display: flex;
      gap: 0.5rem;
      flex-wrap: wrap;
    }
    button {
      flex: 1 1 auto;
      min-height: 44px;
      border-radius: 8px;
      font: inherit;
      font-weight: 600;
      cursor: pointer;
      display: inline-flex;
      align-items: center;
      justify-content: center;
      gap: 0.5em;
    }
    button.join {
      border: 0;
      color: #fff;
      background: var(--ff-accent, #e0301e);
    }
    button.join:disabled {
      background: #c9c9cf;
      color: #4a4a55;
      cursor: default;
    }
    button.leave {
      border: 1px solid #c9c9cf;
      background: #fff;
      color: #1d1d24;
    }
    button:focus-visible {
      outline: 3px solid #1a73e8;
      outline-offset: 2px;
    }
    details {
      margin-top: 0.3rem;
      font-size: 0.8125rem;
      color: #4a4a55;
    }
    summary {
      cursor: pointer;
      min-height: 24px;
    }
    a {
      color: #0b57d0;
    }
  `];

  @property() deal = '';
  @property({ attribute: false }) room!: RoomView;

  protected override updated(): void {
    if (this.dataset.status !== this.room.status) this.dataset.status = this.room.status;
  }

  override render() {
    const r = this.room;
    switch (r.status) {
      case 'off':
        return nothing;
      case 'closed':
        return html`<p class="closed" role="status" data-testid="room-closed-${this.deal}">${this.closedText()}</p>`;
      case 'admitted':
        return html`<p class="place" role="status" data-testid="room-window-${this.deal}">
            ${msg(html`Your turn! Grab within ${html`<ff-countdown .target=${r.until}></ff-countdown>`}`, { id: 'room.admitted' })}
          </p>`;
      case 'in_line':
        return html`${this.renderPlace()} ${this.renderDraw()}
          <div class="row">
            <button class="leave" data-testid="room-leave-${this.deal}" @click=${this.onLeave}>${msg('Leave the line', { id: 'room.leave' })}</button>
          </div>`;
      default:
        return this.renderDoor();
    }
  }

  private renderDoor() {
    const r = this.room;
    const busy = r.status === 'solving' || r.status === 'joining';
    const locale = intlLocale();
    const note = r.lost === 'abandoned'
      ? msg('You were away too long and lost your place.', { id: 'room.lost_abandoned' })
      : r.lost === 'expired'
        ? msg('Your turn to grab ran out.', { id: 'room.lost_expired' })
        : r.failed
          ? msg('Could not get you a place; try again.', { id: 'room.failed' })
          : r.phase === 'pre'
            ? msg('This deal has a waiting line. Join before the opening and your place is drawn fairly.', { id: 'room.intro_pre' })
            : msg(str`This deal has a waiting line: ${formatCount(r.waiting, locale)} in line.`, { id: 'room.intro_open' });
    return html`<p class=${r.lost || r.failed ? 'muted' : ''} role="status" aria-live="polite">${note}</p>
      ${r.phase === 'pre' ? this.renderDraw() : nothing}
      <div class="row">
        <button class="join" data-testid="room-join-${this.deal}" ?disabled=${busy} aria-busy=${busy ? 'true' : 'false'} @click=${this.onJoin}>
          ${busy
            ? html`<span class="spinner" aria-hidden="true"></span><span>${msg('Getting you a place…', { id: 'room.solving' })}</span>`
            : msg('Join the line', { id: 'room.join' })}
        </button>
      </div>`;
  }

  private renderPlace() {
    const r = this.room;
    const locale = intlLocale();
    if (r.number === null) {
      const ticket = formatCount(r.ticket ?? 0, locale);
      return html`<p class="place" role="status" data-testid="room-place-${this.deal}">
        ${msg(str`You are in line (ticket ${ticket}): your place is drawn at the opening.`, { id: 'room.pre_ticket' })}</p>`;
    }
    const place = Math.max(0, r.number - r.serving);
    const ahead = Math.max(0, place - 1);
    const eta = etaRange(place, r.rate);
    const aheadText = html`<bdi>${formatCount(ahead, locale)}</bdi>`;
    const etaText = eta ? html`<bdi data-testid="room-eta-${this.deal}">${formatEta(eta[0], eta[1], locale)}</bdi>` : nothing;
    return html`<p class="place" role="status" data-testid="room-ahead-${this.deal}" data-ahead=${ahead}>
        ${eta
          ? msg(html`You are in line: about ${aheadText} ahead, ${etaText}`, { id: 'room.ahead_eta' })
          : msg(html`You are in line: about ${aheadText} ahead`, { id: 'room.ahead' })}
      </p>
      ${eta
        ? nothing
        : html`<p class="muted">${r.paused
          ? msg('The line is paused for a moment.', { id: 'room.paused' })
          : msg('The line moves as soon as units are free.', { id: 'room.stalled' })}</p>`}`;
  }

  /** One sentence about the fair draw, with the hash committed before anyone joined. */
  private renderDraw() {
    const r = this.room;
    if (!r.commit) return nothing;
    const hash = html`<code dir="ltr" data-testid="room-commit-${this.deal}">${r.commit}</code>`;
    if (!r.seed) {
      return html`<p class="draw">${msg(html`Everyone who joins before the opening is put in order by a shuffle with a secret seed, fixed in advance by its SHA-256 fingerprint ${hash}.`, { id: 'room.draw' })}</p>`;
    }
    const seed = html`<code dir="ltr" data-testid="room-seed-${this.deal}">${r.seed}</code>`;
    const cmd = `npm run room:verify -- --url ${location.origin} --deal ${this.deal}${r.ticket ? ` --ticket ${r.ticket}` : ''}`;
    return html`<details>
      <summary>${msg('The draw is done: check it', { id: 'room.drawn' })}</summary>
      <p>${msg(html`The seed was ${seed}; its SHA-256 is the fingerprint published before the draw, ${hash}.`, { id: 'room.seed' })}</p>
      <p>${msg(html`To check the order yourself, run ${html`<code dir="ltr">${cmd}</code>`} or read ${html`<a href="/api/rooms/${this.deal}" target="_blank" rel="noopener">${msg('the room record', { id: 'room.record' })}</a>`}.`, { id: 'room.verify' })}</p>
    </details>`;
  }

  private closedText(): string {
    switch (this.room.closedReason) {
      case 'ended':
        return msg('The deal has ended: the line is closed.', { id: 'room.closed_ended' });
      case 'stopped':
        return msg('The deal was stopped: the line is closed.', { id: 'room.closed_stopped' });
      default:
        return msg('Sold out: the line is closed.', { id: 'room.closed_sold_out' });
    }
  }

  private onJoin() {
    this.dispatchEvent(new CustomEvent<RoomEventDetail>('ff-room-join', { detail: { deal: this.deal }, bubbles: true, composed: true }));
  }

  private onLeave() {
    this.dispatchEvent(new CustomEvent<RoomEventDetail>('ff-room-leave', { detail: { deal: this.deal }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-waiting-room': FfWaitingRoom;
  }
  interface HTMLElementEventMap {
    'ff-room-join': CustomEvent<RoomEventDetail>;
    'ff-room-leave': CustomEvent<RoomEventDetail>;
  }
}
