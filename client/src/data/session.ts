// The shopper's token. A marketplace that signs its users in hands the page their ID token in
// the URL fragment (`/#id_token=<jwt>`): the fragment never reaches a server or a Referer, and
// the page takes it out of the address bar at once; it is kept in sessionStorage (this tab) and
// used until it expires. Without one, a guest session: fetched once, kept in localStorage and
// reused until shortly before it expires, so a reload keeps the same shopper.

import { solvePow, type PowChallenge } from './pow.ts';

export interface Session {
  token: string;
  shopperId: string;
  expiresAt: number;
}

const storageKey = 'ff.session';
/** Renew this long before expiry: a token must outlive the socket that presents it. */
const renewMarginMs = 5 * 60_000;

let inflight: Promise<Session> | null = null;

const idTokenKey = 'ff.idToken';

/** Takes `#id_token=...` out of the address bar into this tab's storage (once, at load). */
export function adoptIdTokenFromUrl(loc: Pick<Location, 'hash' | 'pathname' | 'search'> = location): void {
  const m = /(?:^#|&)id_token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)/.exec(loc.hash);
  if (!m) return;
  try {
    sessionStorage.setItem(idTokenKey, m[1]!);
  } catch {
    /* storage disabled: the token is lost with the fragment, the page goes on as a guest */
  }
  history.replaceState(null, '', loc.pathname + loc.search);
}

/** The marketplace ID token handed to this tab, while it has not expired. */
function idTokenSession(): Session | null {
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(idTokenKey);
  } catch {
    return null;
  }
  if (!token) return null;
  try {
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
    if (expiresAt > Date.now()) return { token, shopperId: '', expiresAt };
  } catch {
    /* not a JWT we can read: drop it below */
  }
  sessionStorage.removeItem(idTokenKey);
  return null;
}

function readStored(): Session | null {
  try {
    const raw = localStorage.getItem(storageKey);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.shopperId !== 'string' || typeof s.expiresAt !== 'number') return null;
    return s as Session;
  } catch {
    return null; // storage disabled (private mode) or corrupt: fall through to a fresh session
  }
}

function store(s: Session): void {
  try {
    localStorage.setItem(storageKey, JSON.stringify(s));
  } catch {
    /* storage full or disabled: the session still works for this page's life */
  }
}

/** A usable session: the cached one while it is fresh, otherwise a new one from the server. */
export function getSession(): Promise<Session> {
  const account = idTokenSession();
  if (account) return Promise.resolve(account);
  const cached = readStored();
  if (cached && cached.expiresAt - renewMarginMs > Date.now()) return Promise.resolve(cached);
  // Concurrent callers (socket reconnect + orders fetch) share one request.
  inflight ??= fetchSession().finally(() => {
    inflight = null;
  });
  return inflight;
}

/** Forget `token` (the server refused it); the next getSession() asks for a new one. */
export function dropSession(token: string): void {
  try {
    if (sessionStorage.getItem(idTokenKey) === token) sessionStorage.removeItem(idTokenKey);
  } catch {
    /* storage disabled */
  }
  if (readStored()?.token !== token) return; // another tab already replaced it
  try {
    localStorage.removeItem(storageKey);
  } catch {
    /* nothing to remove */
  }
}

/** While a waiting room is on, a guest session costs a proof of work: a 403 `pow_required` (or
 *  `pow_invalid`, a spent or stale one) is answered with a solution of a fresh challenge. */
async function fetchSession(): Promise<Session> {
  let res = await fetch('/api/session', { method: 'POST' });
  if (res.status === 403) {
    const code = ((await res.json().catch(() => ({}))) as { code?: string }).code;
    if (code === 'pow_required' || code === 'pow_invalid') {
      const { challenge } = (await (await fetch('/api/session/challenge')).json()) as { challenge: PowChallenge };
      const pow = await solvePow(challenge);
      res = await fetch('/api/session', { method: 'POST', body: JSON.stringify({ pow }) });
    }
  }
  if (!res.ok) throw new Error(`POST /api/session: HTTP ${res.status}`);
  const body = (await res.json()) as Session;
  if (typeof body.token !== 'string' || typeof body.expiresAt !== 'number') {
    throw new Error('POST /api/session: unexpected body');
  }
  store(body);
  return body;
}
