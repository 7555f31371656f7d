// The festival shell of `/`: the HTML the gateway sends carries the festival's name, its deals,
// prices and opening times, so a phone on a slow link shows something real before the script
// arrives. It is rendered from the same view as GET /api/festivals/current, and that view rides
// along as JSON (#ff-festival) so the Lit page starts from it without a "Loading" flash.
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { DealView, FestivalView } from '../shared/protocol.ts';
import { discountPercent, formatMoney } from '../shared/money-format.ts';

/** Where index.html takes the shell (inside <ff-shopper-page>, whose shadow root hides it once
 *  the element is defined). */
export const SHELL_MARK = '<!--ff-shell-->';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values: brands type titles, so every one of them is escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON inside <script>: `<` escaped so no string in it can close the element (`</script>`),
 *  and the line separators JavaScript once refused in strings. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// The shell's text is in English and its money in en-US until the page is localized.
const LOCALE = 'en-US';
const timeFormat = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC', timeZoneName: 'short' });

/** A time the inline script of index.html rewrites into the reader's own zone. */
function timeTag(at: number): string {
  return `<time datetime="${new Date(at).toISOString()}" data-at="${at}">${escapeHtml(timeFormat.format(at))}</time>`;
}

/** Only our own paths and http(s) pictures reach an `src`. */
function safeImage(url: string | null): string | null {
  if (!url) return null;
  return /^(\/(?!\/)|https?:\/\/)/i.test(url) ? url : null;
}

function dealCard(d: DealView, now: number): string {
  const off = discountPercent(d.listPrice, d.dealPrice);
  const img = safeImage(d.imageUrl);
  const when = now < d.startsAt ? `Opens ${timeTag(d.startsAt)}`
    : now < d.endsAt && (d.state === 'live' || d.state === 'warming' || d.state === 'scheduled') ? `Ends ${timeTag(d.endsAt)}`
    : d.state === 'sold_out' ? 'Sold out' : 'Ended';
  return `<article class="ffs-card" data-deal="${escapeHtml(d.id)}">`
    + (img ? `<img class="ffs-img" src="${escapeHtml(img)}" alt="" width="400" height="300" loading="lazy" decoding="async">` : '')
    + `<div class="ffs-body"><p class="ffs-brand">${escapeHtml(d.brand)}</p><h2>${escapeHtml(d.title)}</h2>`
    + `<p class="ffs-prices"><span class="ffs-price">${escapeHtml(formatMoney(d.dealPrice, LOCALE))}</span>`
    + (off !== null ? ` <s>${escapeHtml(formatMoney(d.listPrice, LOCALE))}</s> <span class="ffs-off">-${off}%</span>` : '')
    + `</p><p class="ffs-meta"><span>${d.available > 0 ? `${d.available} left` : 'None left'}</span><span>Limit ${d.limit} per shopper</span></p>`
    + `<p class="ffs-when">${when}</p></div></article>`;
}

/** What the page starts from: the view without `serverTime`, which changes on every call (the
 *  page takes its clock from the socket), so one festival state is one page of bytes. */
export type ShellFestival = Omit<FestivalView, 'serverTime'>;

function shellFestival(view: FestivalView): ShellFestival {
  const { serverTime: _omitted, ...rest } = view;
  return rest;
}

/** The shell for one festival view, or the empty notice when there is no festival. */
export function renderShell(view: FestivalView | null): string {
  if (!view) {
    return '<div class="ffs"><header class="ffs-head"><h1>flashfest</h1></header>'
      + '<main><p class="ffs-empty">No festival is on right now. Check back soon.</p></main></div>';
  }
  const now = view.serverTime;
  return `<div class="ffs"><header class="ffs-head"><h1>${escapeHtml(view.name)}</h1><span class="ffs-conn">Connecting…</span></header>`
    + `<main><div class="ffs-grid">${view.deals.map((d) => dealCard(d, now)).join('')}</div></main></div>`
    + `<script type="application/json" id="ff-festival">${scriptJson(shellFestival(view))}</script>`;
}

export interface ShellPage {
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

/**
 * index.html with the shell in it, in the three encodings. The last page is kept: between two
 * changes of the festival (a grab changes its counters) every load gets the same bytes, and is
 * compressed once.
 */
export class ShopperShell {
  private last: { html: string; page: ShellPage } | null = null;

  constructor(private readonly template: string) {}

  /** Whether the built index.html has the mark (an old build has not: serve it as it is). */
  get usable(): boolean {
    return this.template.includes(SHELL_MARK);
  }

  page(view: FestivalView | null): ShellPage {
    const html = this.template.replace(SHELL_MARK, () => renderShell(view));
    if (this.last?.html === html) return this.last.page;
    const identity = Buffer.from(html);
    const page: ShellPage = {
      identity,
      // quality 5: most of brotli's gain on a few KB, at a cost paid once per change
      br: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      gzip: gzipSync(identity, { level: 6 }),
    };
    this.last = { html, page };
    return page;
  }
}
