// The shopper's language: chosen in the header, remembered (localStorage for the page, a cookie
// for the shell the server renders into `/`), by default the first of navigator.languages we
// have, else English. Strings go through @lit/localize (runtime mode: one translation module per
// language, loaded when chosen); numbers, money and times through Intl in `intlLocale()`.
import { configureLocalization } from '@lit/localize';
import { LANGUAGE_COOKIE, LANGUAGES, SOURCE_LANGUAGE, languageOf, matchLanguage, type Language } from '../../../server/src/shared/languages.ts';
import { sourceLocale, targetLocales } from '../locales/locale-codes.ts';
import * as ur from '../locales/generated/ur.ts';
import * as hi from '../locales/generated/hi.ts';
import * as zhHans from '../locales/generated/zh-Hans.ts';

const STORAGE_KEY = 'ff-lang';
const YEAR_S = 365 * 24 * 3600;

// Bundled, not loaded on demand: the three modules weigh a few KB compressed, and with them at
// hand the page's first render is already in the shopper's language (no English flash, no
// layout shift, nothing extra for the service worker to cache for an offline revisit).
const translations = { ur, hi, 'zh-Hans': zhHans } as const;

const { getLocale, setLocale } = configureLocalization({
  sourceLocale,
  targetLocales,
  loadLocale: (tag) => Promise.resolve(translations[tag as keyof typeof translations]),
});

export { getLocale };

/** The current language (its tag, direction and Intl locale). */
export function currentLanguage(): Language {
  return languageOf(getLocale());
}

/** The locale Intl formats with: money, counts, times. */
export function intlLocale(): string {
  return currentLanguage().intl;
}

function remembered(): string | null {
  try {
    return matchLanguage([localStorage.getItem(STORAGE_KEY) ?? '']);
  } catch {
    return null; // storage blocked: the default stands
  }
}

/** The language to start in: the remembered choice, else the browser's, else English. */
export function initialLanguage(): string {
  return remembered() ?? matchLanguage(navigator.languages ?? [navigator.language]) ?? SOURCE_LANGUAGE;
}

function applyToDocument(lang: Language): void {
  document.documentElement.lang = lang.tag;
  document.documentElement.dir = lang.dir;
}

/** Loads `tag`'s strings and re-renders every @localized element; `<html lang dir>` follow. */
export async function useLanguage(tag: string): Promise<void> {
  const lang = languageOf(matchLanguage([tag]) ?? SOURCE_LANGUAGE);
  await setLocale(lang.tag);
  applyToDocument(lang);
}

/** The shopper picked a language in the header: use it and remember it. */
export async function chooseLanguage(tag: string): Promise<void> {
  await useLanguage(tag);
  const lang = currentLanguage();
  try {
    localStorage.setItem(STORAGE_KEY, lang.tag);
  } catch {
    // private mode without storage: the choice lasts for this page
  }
  document.cookie = `${LANGUAGE_COOKIE}=${encodeURIComponent(lang.tag)}; path=/; max-age=${YEAR_S}; SameSite=Lax`;
}

export { LANGUAGES };
