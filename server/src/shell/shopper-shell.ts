// The festival shell of `/`: the HTML the gateway sends carries the festival's name, its deals,
// prices and opening times, so a phone on a slow link shows something real before the script
// arrives. It is rendered from the same view as GET /api/festivals/current, and that view rides
// along as JSON (#ff-festival) so the Lit page starts from it without a "Loading" flash.
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { DealView, FestivalView } from '../shared/protocol.ts';
import { discountPercent, formatMoney } from '../shared/money-format.ts';
import { LANGUAGES, type Language } from '../shared/languages.ts';
import { shellText } from './shell-text.ts';

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

// The shell is written in the reader's language (shellLanguage: their remembered choice, else
// Accept-Language), its money, counts and times formatted by Intl in that language's locale.
const timeFormats = new Map(LANGUAGES.map((l) => [l.tag, new Intl.DateTimeFormat(l.intl, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC', timeZoneName: 'short',
})]));
const countFormats = new Map(LANGUAGES.map((l) => [l.tag, new Intl.NumberFormat(l.intl)]));
const offFormats = new Map(LANGUAGES.map((l) => [l.tag, new Intl.NumberFormat(l.intl, { style: 'percent', signDisplay: 'always' })]));

/** A time the inline script of index.html rewrites into the reader's own zone. */
function timeTag(at: number, lang: Language): string {
  return `<time datetime="${new Date(at).toISOString()}" data-at="${at}">${escapeHtml(timeFormats.get(lang.tag)!.format(at))}</time>`;
}

/** Only our own paths and http(s) pictures reach an `src`. */
function safeImage(url: string | null): string | null {
  if (!url) return null;
  return /^(\/(?!\/)|https?:\/\/)/i.test(url) ? url : null;
}

function dealCard(d: DealView, now: number, lang: Language): string {
  const t = shellText(lang);
  const count = (n: number) => countFormats.get(lang.tag)!.format(n);
  const off = discountPercent(d.listPrice, d.dealPrice);
  const img = safeImage(d.imageUrl);
  const when = now < d.startsAt ? t.opens(timeTag(d.startsAt, lang))
    : now < d.endsAt && (d.state === 'live' || d.state === 'warming' || d.state === 'scheduled') ? t.ends(timeTag(d.endsAt, lang))
    : d.state === 'sold_out' ? t.soldOut : t.ended;
  return `<article class="ffs-card" data-deal="${escapeHtml(d.id)}">`
    + (img ? `<img class="ffs-img" src="${escapeHtml(img)}" alt="" width="400" height="300" loading="lazy" decoding="async">` : '')
    + `<div class="ffs-body"><p class="ffs-brand">${escapeHtml(d.brand)}</p><h2>${escapeHtml(d.title)}</h2>`
    + `<p class="ffs-prices"><span class="ffs-price">${escapeHtml(formatMoney(d.dealPrice, lang.intl))}</span>`
    + (off !== null ? ` <s>${escapeHtml(formatMoney(d.listPrice, lang.intl))}</s> <span class="ffs-off">${escapeHtml(offFormats.get(lang.tag)!.format(-off / 100))}</span>` : '')
    + `</p><p class="ffs-meta"><span>${escapeHtml(d.available > 0 ? t.left(count(d.available)) : t.noneLeft)}</span><span>${escapeHtml(t.limit(count(d.limit)))}</span></p>`
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
export function renderShell(view: FestivalView | null, lang: Language): string {
  const t = shellText(lang);
  if (!view) {
    return '<div class="ffs"><header class="ffs-head"><h1>flashfest</h1></header>'
      + `<main><p class="ffs-empty">${escapeHtml(t.noFestival)}</p></main></div>`;
  }
  const now = view.serverTime;
  return `<div class="ffs"><header class="ffs-head"><h1>${escapeHtml(view.name)}</h1><span class="ffs-conn">${escapeHtml(t.connecting)}</span></header>`
    + `<main><div class="ffs-grid">${view.deals.map((d) => dealCard(d, now, lang)).join('')}</div></main></div>`
    + `<script type="application/json" id="ff-festival">${scriptJson(shellFestival(view))}</script>`;
}

export interface ShellPage {
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

/**
 * index.html with the shell in it, in the three encodings, `<html lang dir>` in the reader's
 * language. The last page of each language is kept: between two changes of the festival (a grab
 * changes its counters) every load gets the same bytes, and is compressed once.
 */
export class ShopperShell {
  private readonly last = new Map<string, { html: string; page: ShellPage }>();

  constructor(private readonly template: string) {}

  /** Whether the built index.html has the mark (an old build has not: serve it as it is). */
  get usable(): boolean {
    return this.template.includes(SHELL_MARK);
  }

  page(view: FestivalView | null, lang: Language): ShellPage {
    const html = this.template
      .replace(/<html\b[^>]*>/, `<html lang="${lang.tag}" dir="${lang.dir}">`)
      .replace(SHELL_MARK, () => renderShell(view, lang));
    const last = this.last.get(lang.tag);
    if (last?.html === html) return last.page;
    const identity = Buffer.from(html);
    const page: ShellPage = {
      identity,
      // quality 5: most of brotli's gain on a few KB, at a cost paid once per change
      br: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
      gzip: gzipSync(identity, { level: 6 }),
    };
    this.last.set(lang.tag, { html, page });
    return page;
  }
}
