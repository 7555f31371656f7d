/// <reference lib="webworker" />
// The shopper page's service worker (served as /sw.js). A revisit on a flaky or dead network
// shows the last festival page at once from cache (the server put the festival in its HTML),
// then the page goes live on its own socket; and it shows "Remind me" push notifications.
// Only `/` and its own files are kept: the API and the socket are live or nothing.

declare const self: ServiceWorkerGlobalScope;
/** The hashed files `/` needs, and a version that changes with them (client/vite.config.ts). */
declare const __FF_PRECACHE__: string[];
declare const __FF_SW_VERSION__: string;

const CACHE = `ff-shell-${__FF_SW_VERSION__}`;
const PAGE = '/';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll([PAGE, ...__FF_PRECACHE__]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // An older version's files: the page it cached points at them, and is replaced too.
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html')) {
    event.respondWith(pageFromCacheThenRefresh(event));
  } else if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/icons/')) {
    event.respondWith(cacheFirst(req));
  }
});

/** The cached page at once (a dead network cannot keep the shopper waiting), and a fresh copy
 *  fetched behind it for the next visit; the page itself reloads the live festival. */
async function pageFromCacheThenRefresh(event: FetchEvent): Promise<Response> {
  const cache = await caches.open(CACHE);
  const refresh = fetch(PAGE, { cache: 'no-store' }).then(async (res) => {
    if (res.ok) await cache.put(PAGE, res.clone());
    return res;
  });
  const cached = await cache.match(PAGE);
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

async function cacheFirst(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(req);
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

interface ReminderPush {
  title: string;
  body: string;
  deal: string;
  url: string;
}

self.addEventListener('push', (event) => {
  let msg: ReminderPush;
  try {
    msg = event.data?.json() as ReminderPush;
  } catch {
    return;
  }
  event.waitUntil(self.registration.showNotification(msg.title, {
    body: msg.body,
    tag: `deal-${msg.deal}`,
    icon: '/icons/icon-192.png',
    data: { url: msg.url },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | null)?.url ?? '/';
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window' });
    const page = open.find((c) => new URL(c.url).pathname === '/');
    if (page) await page.focus();
    else await self.clients.openWindow(url);
  })());
});

export {};
