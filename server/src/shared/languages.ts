// The shopper page's languages, shared by the page (client/src/i18n/) and the festival shell the
// gateway renders into `/` (server/src/shell/), so both pick the same language for one reader.
// Keep it free of Node imports: the client bundles it.

export interface Language {
  /** BCP 47 tag, also the name of the translation module (client/src/locales/generated/) */
  tag: string;
  /** its own name, as the language switch shows it */
  name: string;
  dir: 'ltr' | 'rtl';
  /** what Intl formats numbers, money and times with (the seeds' markets) */
  intl: string;
}

export const SOURCE_LANGUAGE = 'en';

export const LANGUAGES: readonly Language[] = [
  { tag: 'en', name: 'English', dir: 'ltr', intl: 'en' },
  { tag: 'ur', name: 'اردو', dir: 'rtl', intl: 'ur-PK' },
  { tag: 'hi', name: 'हिन्दी', dir: 'ltr', intl: 'hi-IN' },
  { tag: 'zh-Hans', name: '简体中文', dir: 'ltr', intl: 'zh-Hans-CN' },
];

/** Remembers the shopper's choice for the server (the page keeps it in localStorage too). */
export const LANGUAGE_COOKIE = 'ff-lang';

export function languageOf(tag: string): Language {
  return LANGUAGES.find((l) => l.tag === tag) ?? LANGUAGES[0]!;
}

/** Chinese written in Traditional characters must not get Simplified. */
const TRADITIONAL = /^zh-(hant|tw|hk|mo)\b/i;

/** The first of `wanted` (most preferred first, e.g. navigator.languages) we have, by exact tag
 *  or by its primary language: `ur-PK` -> ur, `zh-CN` -> zh-Hans. Null when none fits. */
export function matchLanguage(wanted: readonly string[]): string | null {
  for (const raw of wanted) {
    const want = raw.trim().toLowerCase();
    if (!want) continue;
    const exact = LANGUAGES.find((l) => l.tag.toLowerCase() === want);
    if (exact) return exact.tag;
    if (want.startsWith('zh')) {
      if (!TRADITIONAL.test(want)) return 'zh-Hans';
      continue;
    }
    const primary = want.split('-')[0];
    const byPrimary = LANGUAGES.find((l) => l.tag.toLowerCase() === primary);
    if (byPrimary) return byPrimary.tag;
  }
  return null;
}

/** `Accept-Language: ur-PK,ur;q=0.9,en;q=0.8` -> tags by descending q (q=0 dropped). */
export function acceptedLanguages(header: string): string[] {
  return header.split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((t) => t.tag && t.tag !== '*' && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((t) => t.tag);
}

/** The language the shell of `/` is written in: the remembered choice (cookie), else the
 *  browser's preference (Accept-Language, what navigator.languages says), else English. */
export function shellLanguage(cookieHeader: string, acceptLanguage: string): Language {
  const chosen = cookieHeader.split(';').map((c) => c.trim().split('=')).find(([k]) => k === LANGUAGE_COOKIE)?.[1];
  const tag = (chosen ? matchLanguage([decodeURIComponent(chosen)]) : null) ?? matchLanguage(acceptedLanguages(acceptLanguage));
  return languageOf(tag ?? SOURCE_LANGUAGE);
}
