import { LitElement, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized } from '@lit/localize';
import { intlLocale } from '../i18n/locale.ts';
import { ServerTimeController } from '../controllers/server-time-controller.ts';
import { serverNow } from '../data/clock.ts';
import { describeCountdown, formatCountdown } from './format.ts';

/**
 * Time left until `target` (server epoch ms), by server time. Ticks on each whole second, and
 * every 100 ms in the last ten seconds; stops at zero.
 *
 * Renders into its light DOM, not a shadow root: it is a leaf of plain text, and this way the
 * text belongs to the element (and to the button around it) for textContent, copy and tests.
 */
@customElement('ff-countdown')
@localized()
export class FfCountdown extends LitElement {

  @property({ type: Number }) target = 0;

  constructor() {
    super();
    new ServerTimeController(this, () => {
      const now = serverNow();
      const left = this.target - now;
      if (left <= 0) return null;
      const step = left <= 10_000 ? 100 : 1000;
      return now + (left % step || step);
    });
  }

  protected override createRenderRoot(): HTMLElement {
    this.style.fontVariantNumeric = 'tabular-nums';
    this.style.whiteSpace = 'nowrap';
    // one unit inside the sentence around it, whichever way that sentence runs
    this.style.unicodeBidi = 'isolate';
    return this;
  }

  override render() {
    const left = this.target - serverNow();
    const locale = intlLocale();
    // The label is for screen readers and only as precise as a second: no chatter each tick.
    return html`<time role="timer" aria-label=${describeCountdown(left, locale)}>${formatCountdown(left, locale)}</time>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-countdown': FfCountdown;
  }
}
