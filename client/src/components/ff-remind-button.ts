import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import { hasReminder, remindersSupported, remindMe, type ReminderResult } from '../data/reminders.ts';

function label(status: ReminderResult | 'idle' | 'asking'): string {
  switch (status) {
    case 'idle':
      return msg('Remind me', { id: 'remind.idle' });
    case 'asking':
      return msg('Setting reminder…', { id: 'remind.asking' });
    case 'set':
      return msg('Reminder set', { id: 'remind.set' });
    case 'denied':
      return msg('Notifications are blocked', { id: 'remind.denied' });
    case 'off':
      return msg('Reminders unavailable', { id: 'remind.off' });
    case 'failed':
      return msg('Could not set reminder; try again', { id: 'remind.failed' });
  }
}

/** "Remind me" for a deal that has not opened: a push shortly before it does. Renders nothing
 *  where the browser cannot take pushes. */
@customElement('ff-remind-button')
@localized()
export class FfRemindButton extends LitElement {
  static override styles = css`
    button {
      min-height: 32px;
      padding: 0.25rem 0.6rem;
      border: 1px solid #8a8a94;
      border-radius: 6px;
      background: #fff;
      color: #1d1d24;
      font: inherit;
      font-size: 0.8125rem;
      cursor: pointer;
    }
    button:disabled {
      cursor: default;
      color: #4a4a55;
    }
  `;

  @property() deal = '';
  @state() private status: ReminderResult | 'idle' | 'asking' = 'idle';

  protected override willUpdate(): void {
    if (this.status === 'idle' && this.deal && hasReminder(this.deal)) this.status = 'set';
  }

  override render() {
    if (!remindersSupported()) return nothing;
    const done = this.status === 'set' || this.status === 'asking' || this.status === 'off';
    return html`<button type="button" data-testid="remind-${this.deal}" ?disabled=${done} @click=${this.onClick}>${label(this.status)}</button>`;
  }

  private async onClick(): Promise<void> {
    this.status = 'asking';
    this.status = await remindMe(this.deal);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-remind-button': FfRemindButton;
  }
}
