import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { BrandApiError, type BrandApi, type BrandFestival } from '../data/brand-api.ts';
import type { RowError } from '../../../server/src/shared/brand-api.ts';

const TEMPLATE = 'title,description,imageUrl,listPriceMinor,dealPriceMinor,currency,stock,limit,startsAt,endsAt,holdMinutes,stockBuckets\n'
  + '"Lawn suit, 3 piece",Unstitched,https://example.com/a.jpg,499900,249900,PKR,50,2,2026-11-11T00:00:00+05:00,2026-11-11T02:00:00+05:00,5,\n';

/** Bulk create from a CSV file: all rows or none, with the per-row report. Success is the
 *  console's banner (one banner, cleared when the brand moves on): fires `uploaded`
 *  {created, dryRun}. A problem stays here until another file is picked or sent. */
@customElement('brand-csv-upload')
export class BrandCsvUpload extends LitElement {
  static override styles = css`
    :host { display: block; background: #fff; border-radius: 10px; padding: 1rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); }
    h2 { margin: 0 0 0.5rem; font-size: 1.05rem; }
    .row { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; }
    select, input, button { font: inherit; }
    /* a file input is wider than a phone's row by itself: let it shrink to the row */
    input[type='file'] { max-width: 100%; min-width: 0; }
    button { padding: 0.4rem 0.9rem; border-radius: 6px; border: 1px solid #c4c4cc; background: #fff; cursor: pointer; }
    table { border-collapse: collapse; margin-top: 0.75rem; font-size: 0.8125rem; }
    th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #ececf1; }
    .bad { color: #b00020; }
    .hint { color: #6b6b76; font-size: 0.8125rem; }
  `;

  @property({ attribute: false }) api: BrandApi | null = null;
  @property({ attribute: false }) festivals: BrandFestival[] = [];
  @state() private report: RowError[] = [];
  @state() private message: string | null = null;

  override render() {
    const href = `data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE)}`;
    return html`<h2>Upload deals from CSV</h2>
      <p class="hint">One deal per row; prices in minor units (paisa, cents); times ISO 8601 with a zone or epoch ms;
        an empty stockBuckets cell leaves the stock buckets to the engine's rule.
        Nothing is created unless every row is valid. <a href=${href} download="flashfest-deals.csv">Download a template</a>.</p>
      <div class="row">
        <select id="fest" aria-label="Festival">${this.festivals.map((f) => html`<option value=${f.id}>${f.name}</option>`)}</select>
        <input id="file" type="file" accept=".csv,text/csv" data-testid="csv-file" @input=${this.clear} />
        <label><input id="dry" type="checkbox" /> check only</label>
        <button @click=${this.upload} data-testid="csv-upload">Upload</button>
      </div>
      ${this.message ? html`<p class="bad" data-testid="csv-message">${this.message}</p>` : nothing}
      ${this.report.length ? html`<table data-testid="csv-report"><thead><tr><th>Row</th><th>Line</th><th>Field</th><th>Problem</th></tr></thead>
        <tbody>${this.report.map((r) => html`<tr><td>${r.row || 'header'}</td><td>${r.line}</td><td>${r.field}</td><td class="bad">${r.message}</td></tr>`)}</tbody></table>` : nothing}`;
  }

  private clear() {
    this.report = [];
    this.message = null;
  }

  private async upload() {
    const root = this.renderRoot;
    const file = (root.querySelector('#file') as HTMLInputElement).files?.[0];
    const festivalId = (root.querySelector('#fest') as HTMLSelectElement).value;
    const dry = (root.querySelector('#dry') as HTMLInputElement).checked;
    if (!this.api || !file) { this.message = 'Choose a CSV file first.'; return; }
    this.clear();
    try {
      const r = await this.api.bulk(await file.text(), festivalId, dry);
      this.dispatchEvent(new CustomEvent('uploaded', { detail: { created: r.created, dryRun: r.dryRun } }));
    } catch (err) {
      this.message = err instanceof Error ? err.message : String(err);
      if (err instanceof BrandApiError) this.report = err.body.rows ?? [];
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'brand-csv-upload': BrandCsvUpload;
  }
}
