// Guest session token: fetched once, kept in localStorage and reused until shortly before it
// expires, so a reload keeps the same shopper (and so the same holds and orders).

export interface Session {
  token: string;
  shopperId: string;
  expiresAt: number;
}

const storageKey = 'ff.session';
/** Renew this long before expiry: a token must outlive the socket that presents it. */
const renewMarginMs = 5 * 60_000;

let inflight: Promise<Session> | null = null;

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
  if (readStored()?.token !== token) return; // another tab already replaced it
  try {
    localStorage.removeItem(storageKey);
  } catch {
    /* nothing to remove */
  }
}

async function fetchSession(): Promise<Session> {
  const res = await fetch('/api/session', { method: 'POST' });
  if (!res.ok) throw new Error(`POST /api/session: HTTP ${res.status}`);
  const body = (await res.json()) as Session;
  if (typeof body.token !== 'string' || typeof body.expiresAt !== 'number') {
    throw new Error('POST /api/session: unexpected body');
  }
  store(body);
  return body;
}
