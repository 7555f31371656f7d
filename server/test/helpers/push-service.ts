// A push service and its browsers, in the test process: an HTTP server that takes Web Push
// requests as FCM or Mozilla's autopush would (checking the VAPID JWT), and per "browser" a P-256
// key pair and auth secret, with which it decrypts each body as the browser would (RFC 8291,
// aes128gcm from RFC 8188). Written from the RFCs with node:crypto, not with the library under
// test.
import { createECDH, createDecipheriv, hkdfSync, randomBytes, type ECDH } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, jwtVerify } from 'jose';

export interface ReceivedPush {
  browser: string;
  headers: http.IncomingHttpHeaders;
  /** the decrypted payload */
  text: string;
  /** claims of the VAPID JWT, verified against the key in `k=` */
  vapid: { aud: string; sub: string; exp: number; k: string };
}

export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

interface Browser {
  ecdh: ECDH;
  auth: Buffer;
}

export interface PushService {
  url: string;
  received: ReceivedPush[];
  /** requests it could not accept (bad VAPID, undecryptable body), with the reason */
  rejected: string[];
  /** a new browser's subscription: its endpoint on this service and its public keys */
  subscribe(browser: string): PushSubscriptionJson;
  /** the status the service answers a browser's pushes with from now on (410: unsubscribed) */
  answer(browser: string, status: number): void;
  close(): Promise<void>;
}

/** RFC 8291 section 3.4 and RFC 8188 section 2: one aes128gcm record, as a user agent reads it. */
export function decryptAes128gcm(body: Buffer, b: Browser): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error(`keyid is ${idlen} bytes, expected the sender's 65-byte public key`);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const uaPublic = b.ecdh.getPublicKey();
  const ecdhSecret = b.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, b.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // the last record ends with the delimiter 0x02, then zero padding
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

async function verifyVapid(header: string | undefined, audience: string): Promise<ReceivedPush['vapid']> {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) throw new Error(`Authorization is not "vapid t=..., k=...": ${header}`);
  const raw = Buffer.from(m[2]!, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, 'ES256');
  const { payload } = await jwtVerify(m[1]!, key, { algorithms: ['ES256'], audience });
  if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub)) throw new Error('sub is not mailto: or https:');
  // RFC 8292: no more than 24 hours ahead
  if (!payload.exp || payload.exp > Date.now() / 1000 + 86_400) throw new Error('exp missing or too far');
  return { aud: String(payload.aud), sub: payload.sub, exp: payload.exp, k: m[2]! };
}

export async function startPushService(): Promise<PushService> {
  const browsers = new Map<string, Browser>();
  const statuses = new Map<string, number>();
  const received: ReceivedPush[] = [];
  const rejected: string[] = [];
  let origin = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const name = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
        const b = name ? browsers.get(name) : undefined;
        if (!name || !b || req.method !== 'POST') return void res.writeHead(404).end();
        const status = statuses.get(name) ?? 201;
        if (status !== 201) return void res.writeHead(status).end();
        try {
          if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`Content-Encoding ${req.headers['content-encoding']}`);
          if (!/^\d+$/.test(String(req.headers['ttl']))) throw new Error('no TTL');
          const vapid = await verifyVapid(req.headers['authorization'], origin);
          received.push({ browser: name, headers: req.headers, text: decryptAes128gcm(Buffer.concat(chunks), b), vapid });
          res.writeHead(201).end();
        } catch (err) {
          rejected.push(`${name}: ${(err as Error).message}`);
          res.writeHead(400).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin, received, rejected,
    subscribe(name) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const b = { ecdh, auth: randomBytes(16) };
      browsers.set(name, b);
      return { endpoint: `${origin}/push/${name}`, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: b.auth.toString('base64url') } };
    },
    answer(name, status) {
      statuses.set(name, status);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A VAPID key pair in the form `npx web-push generate-vapid-keys` prints. */
export function vapidKeys(): { publicKey: string; privateKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const priv = ecdh.getPrivateKey();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(32 - priv.length), priv]).toString('base64url'),
  };
}
