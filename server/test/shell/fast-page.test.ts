// The page that arrives fast: the built client goes out precompressed (brotli, gzip or as it is,
// by Accept-Encoding, with Vary), hashed files cached for a year, pages revalidated every time;
// and `/` carries the festival shell (names, prices, times) in its HTML, escaped, before any JS.
import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeals, startEngine, type RunningEngine } from '../helpers/engine.ts';
import { rawGet } from '../helpers/raw-http.ts';

const DIST = 'client/dist';
const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('precompressed client and the festival shell', () => {
  let engine: RunningEngine;
  let script: string;
  let festivalId: string;
  let dealIds: string[];
  // a brand may type anything into a title: it must reach the page as text, never as markup
  const hostileTitle = `<img src=x onerror="alert(1)"> Mug & "Cup" </script><script>alert(2)</script>`;

  beforeAll(async () => {
    const html = readFileSync(`${DIST}/index.html`, 'utf8');
    script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(script).toMatch(/^\/assets\/index-.+\.js$/);
    engine = await startEngine({ STATIC_DIR: DIST, FF_ROLE: 'gateway' });
    ({ festivalId, dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Redmi Note 13', stock: 20, limit: 1, startsIn: 3_600_000, priceMinor: 4_999_900, currency: 'PKR' },
      { title: hostileTitle, stock: 5, limit: 2, startsIn: -60_000, priceMinor: 14_900, currency: 'CNY' },
    ], 'Eleven <Eleven> & Co'));
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('sends a hashed script as brotli, gzip or identity by Accept-Encoding, with Vary and a year of cache', async () => {
    const plain = readFileSync(`${DIST}${script}`);
    const br = await rawGet(engine.url + script, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(plain.length / 2);
    expect(brotliDecompressSync(br.body).equals(plain)).toBe(true);

    const gz = await rawGet(engine.url + script, { 'accept-encoding': 'br;q=0, gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain)).toBe(true);

    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0', 'compress']) {
      const id = await rawGet(engine.url + script, accept === undefined ? {} : { 'accept-encoding': accept });
      expect(id.headers['content-encoding'], `Accept-Encoding: ${accept}`).toBeUndefined();
      expect(id.body.equals(plain)).toBe(true);
    }
    for (const r of [br, gz]) {
      expect(r.status).toBe(200);
      expect(r.headers['vary']).toBe('Accept-Encoding');
      expect(r.headers['cache-control']).toBe(IMMUTABLE);
      expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
    }
    // `*` stands for what is not named
    expect((await rawGet(engine.url + script, { 'accept-encoding': '*' })).headers['content-encoding']).toBe('br');
  });

  it('sends pages, the service worker and the manifest compressed but revalidated on every load', async () => {
    for (const path of ['/', '/ops', '/sw.js', '/manifest.webmanifest']) {
      const r = await rawGet(engine.url + path, { 'accept-encoding': 'br' });
      expect(r.status, path).toBe(200);
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.headers['content-encoding'], path).toBe('br');
      expect(r.headers['vary'], path).toBe('Accept-Encoding');
    }
    const head = await rawGet(engine.url + script, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(`${DIST}${script}.gz`).length);
  });

  it('puts the festival, its deals, prices and opening times into the HTML of /, escaped', async () => {
    const res = await rawGet(engine.url + '/', { 'accept-encoding': 'gzip' });
    const html = gunzipSync(res.body).toString('utf8');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    // what a reader sees without any script
    expect(html).toContain('<h1>Eleven &lt;Eleven&gt; &amp; Co</h1>');
    expect(html).toContain('<h2>Redmi Note 13</h2>');
    // in the shell's language (English here, Intl locale `en`): the same text the page shows
    expect(html).toContain('Rs\u00a049,999');
    expect(html).toContain('>¥149<');
    expect(html).toMatch(/Opens <time datetime="[^"]+Z" data-at="\d+">/);
    expect(html).toContain('20 left');
    // the hostile title as text only
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Mug &amp; &quot;Cup&quot; &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(2)');
    // the state the page starts from: the same view as the API's, minus the clock
    const json = /<script type="application\/json" id="ff-festival">([^<]*)<\/script>/.exec(html)?.[1];
    expect(json).toBeDefined();
    const embedded = JSON.parse(json!) as { id: string; name: string; deals: { id: string; title: string }[] };
    const api = (await (await fetch(`${engine.url}/api/festivals/current`)).json()) as { serverTime: number };
    expect(embedded.id).toBe(festivalId);
    expect(embedded.name).toBe('Eleven <Eleven> & Co');
    expect(embedded.deals.map((d) => d.id).sort()).toEqual([...dealIds].sort());
    expect(embedded.deals.find((d) => d.id === dealIds[1])?.title).toBe(hostileTitle);
    const { serverTime: _t, ...apiWithoutClock } = api;
    expect(embedded).toEqual(apiWithoutClock);
    // brotli carries the same page
    const br = await rawGet(engine.url + '/', { 'accept-encoding': 'br' });
    expect(brotliDecompressSync(br.body).toString('utf8')).toBe(html);
  });
});
