// The page's offline side: the service worker (client/src/sw/) that keeps `/` and its files for a
// revisit without a network, and the festival the server put into the page (#ff-festival), which
// the store starts from before any request.
import type { FestivalView } from '../../../server/src/shared/protocol.ts';

/** The festival as the HTML carried it (server/src/shell/): no serverTime, since a page served
 *  from the cache may be hours old; the clock comes from the socket. */
export type ShellFestival = Omit<FestivalView, 'serverTime'>;

export function festivalFromPage(doc: Document = document): ShellFestival | null {
  const el = doc.getElementById('ff-festival');
  if (!el?.textContent) return null;
  try {
    return JSON.parse(el.textContent) as ShellFestival;
  } catch {
    return null;
  }
}

/** Registers /sw.js once the page has loaded (its install fetches compete with nothing then). */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const register = () => void navigator.serviceWorker.register('/sw.js').catch(() => {
    /* no worker (private mode, blocked): the page works without one */
  });
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
