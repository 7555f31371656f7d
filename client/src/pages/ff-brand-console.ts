// Brand console (/brand): sign in with an API key, see the brand's deals live, create, edit,
// cancel and stop them, upload many from CSV.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { StoreController } from '../controllers/store-controller.ts';
import { BrandStore } from '../data/brand-store.ts';
import { BrandApiError, type BrandDealView, type BrandRoomReply } from '../data/brand-api.ts';
import '../components/brand-deal-form.ts';
import '../components/brand-deal-table.ts';
import '../components/brand-csv-upload.ts';
import '../components/brand-room-form.ts';
import type { DealAction } from '../components/brand-deal-table.ts';

@customElement('ff-brand-console')
export class FfBrandConsole extends LitElement {
  static override styles = css`
    :host { display: block; max-width: 1280px; margin: 0 auto; padding: 0 1rem 2rem; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: 0.9rem 0; }
    h1 { margin: 0; font-size: 1.25rem; }
    h1 small { font-weight: 400; color: #6b6b76; }
    section { margin: 1rem 0; }
    .bar { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin-bottom: 0.75rem; }
    button { font: inherit; padding: 0.45rem 1rem; border-radius: 6px; border: 1px solid #c4c4cc; background: #fff; cursor: pointer; }
    button.primary { background: #e0301e; border-color: #e0301e; color: #fff; font-weight: 600; }
    .signin { max-width: 34rem; margin: 4rem auto; background: #fff; padding: 1.5rem; border-radius: 12px; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
    .signin input { width: 100%; box-sizing: border-box; font: inherit; font-family: ui-monospace, monospace; padding: 0.5rem; margin: 0.5rem 0 0.75rem; border: 1px solid #c4c4cc; border-radius: 6px; }
    .error { color: #b00020; }
    .note { color: #1e7a3a; }
    .hint { color: #6b6b76; font-size: 0.875rem; }
  `;

  private readonly store = new BrandStore();
  @state() private editing: BrandDealView | null | undefined = undefined; // undefined: form closed
  /** the deal whose waiting room is open */
  @state() private roomOf: BrandDealView | null = null;
  @state() private note: string | null = null;
  @state() private actionError: string | null = null;

  constructor() {
    super();
    new StoreController(this, this.store);
    // The banner reports the last thing done; once the brand types, picks or ticks anything
    // (input events cross shadow roots), it is about something else and would mislead.
    this.addEventListener('input', () => this.movedOn());
  }

  private movedOn() {
    this.note = null;
    this.actionError = null;
  }

  override render() {
    const s = this.store;
    if (s.state !== 'ready') {
      return html`<div class="signin">
        <h1>flashfest <small>brand console</small></h1>
        <form @submit=${this.signIn}>
          <label for="key">Your brand API key</label>
          <input id="key" name="key" autocomplete="off" placeholder="ffb_…" data-testid="api-key" />
          <button class="primary" type="submit" ?disabled=${s.state === 'checking'} data-testid="sign-in">Open console</button>
        </form>
        <p class="hint">flashfest ops gives you the key. It is kept in this tab only and forgotten when you close it.</p>
        ${s.error ? html`<p class="error" data-testid="signin-error">${s.error}</p>` : nothing}
      </div>`;
    }
    return html`<header>
        <h1>${s.brand?.name} <small>brand console</small></h1>
        <button @click=${() => s.signOut()}>Sign out</button>
      </header>
      ${s.error ? html`<p class="error">${s.error}</p>` : nothing}
      ${this.actionError ? html`<p class="error" data-testid="action-error">${this.actionError}</p>` : nothing}
      ${this.note ? html`<p class="note" data-testid="note">${this.note}</p>` : nothing}
      ${s.festivals.length === 0 ? html`<p class="hint">No festival is open for deals right now.</p>` : nothing}
      <section>
        <div class="bar">
          <button class="primary" @click=${() => { this.editing = null; this.movedOn(); }} ?disabled=${s.festivals.length === 0} data-testid="new-deal">New deal</button>
          <span class="hint">Deals can be edited until they start warming (shortly before they open). Counters update live.</span>
        </div>
        ${this.editing !== undefined ? html`<brand-deal-form .api=${s.api} .festivals=${s.festivals} .deal=${this.editing}
            @saved=${this.saved} @close=${() => { this.editing = undefined; }}></brand-deal-form>` : nothing}
        ${this.roomOf ? html`<brand-room-form .api=${s.api} .deal=${this.roomOf}
            @saved=${this.roomSaved} @close=${() => { this.roomOf = null; }}></brand-room-form>` : nothing}
      </section>
      <section><brand-deal-table .deals=${s.deals} @deal-action=${this.onAction}></brand-deal-table></section>
      <section><brand-csv-upload .api=${s.api} .festivals=${s.festivals} @uploaded=${this.uploaded}></brand-csv-upload></section>`;
  }

  private signIn(e: Event) {
    e.preventDefault();
    const key = String(new FormData(e.target as HTMLFormElement).get('key') ?? '');
    void this.store.signIn(key);
  }

  private saved(e: CustomEvent<BrandDealView>) {
    this.note = `${this.editing ? 'Saved' : 'Created'} deal #${e.detail.id} "${e.detail.title}".`;
    this.editing = undefined;
    void this.store.poll();
  }

  private roomSaved(e: CustomEvent<BrandRoomReply>) {
    const mode = { off: 'off', on: 'on', auto: 'automatic' }[e.detail.settings.mode];
    this.note = `Saved the waiting room of deal #${this.roomOf?.id}: ${mode}, ${e.detail.settings.outflow} shoppers let in per second.`;
  }

  private uploaded(e: CustomEvent<{ created: number; dryRun: boolean }>) {
    this.note = e.detail.dryRun ? 'Every row of the CSV is valid (check only: nothing was created).' : `${e.detail.created} deal(s) created from the CSV.`;
    if (!e.detail.dryRun) void this.store.poll();
  }

  private async onAction(e: CustomEvent<{ action: DealAction; deal: BrandDealView }>) {
    const { action, deal } = e.detail;
    this.movedOn();
    if (action === 'edit') { this.editing = deal; return; }
    if (action === 'room') { this.roomOf = deal; return; }
    const what = action === 'cancel' ? 'Cancel' : 'Stop';
    const consequence = action === 'cancel' ? 'Shoppers will no longer see it.' : 'No more grabs; existing holds can still be paid.';
    if (!confirm(`${what} deal #${deal.id} "${deal.title}"? ${consequence}`)) return;
    try {
      const api = this.store.api!;
      const d = action === 'cancel' ? await api.cancel(deal.id) : await api.stop(deal.id);
      this.note = `Deal #${d.id} is now ${d.state}.`;
    } catch (err) {
      this.actionError = err instanceof BrandApiError ? err.message : String(err);
    }
    void this.store.poll();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ff-brand-console': FfBrandConsole;
  }
}
