// `npm run idp:demo`: a stand-in for a marketplace's login, for trying SHOPPER_AUTH=jwt on a
// laptop. DEVELOPMENT ONLY: it signs an ID token for anyone who asks. It serves its public keys
// as a JWKS and signs ES256 ID tokens for a few named demo shoppers; its page links each shopper
// to the shop with the token in the URL fragment (#id_token=...), the way a marketplace's app
// would hand it over. Tests use DemoIdp directly (key rotation, foreign keys, bad algorithms).
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const DEMO_SHOPPERS = [
  { sub: 'demo-amina', name: 'Amina (Lahore)', city: 'Lahore' },
  { sub: 'demo-ravi', name: 'Ravi (Mumbai)', city: 'Mumbai' },
  { sub: 'demo-li', name: 'Li Wei (Shenzhen)', city: 'Shenzhen' },
  { sub: 'demo-sara', name: 'Sara (Karachi)', city: 'Karachi' },
] as const;

export type SigningAlg = 'ES256' | 'RS256';
interface SigningKey { kid: string; alg: SigningAlg; privateKey: CryptoKey; publicJwk: JWK }

export interface TokenOptions {
  /** seconds from now; negative for an expired token */
  expiresIn?: number;
  /** seconds from now before which the token is not valid */
  notBefore?: number;
  issuer?: string;
  audience?: string;
  kid?: string;
  extra?: Record<string, unknown>;
}

export class DemoIdp {
  /** key set fetches served (a test counts them: an unknown kid must not fetch per token) */
  jwksFetches = 0;
  private keys: SigningKey[] = [];
  private server: http.Server | null = null;
  private seq = 0;
  url = '';

  constructor(readonly audience = 'flashfest', private readonly shopUrl = 'http://localhost:8080') {}

  get issuer(): string { return this.url; }
  get jwksUrl(): string { return `${this.url}/.well-known/jwks.json`; }

  /** Adds a signing key to the published set; returns its kid. */
  async addKey(alg: SigningAlg = 'ES256'): Promise<string> {
    const key = await newKey(alg, `k${++this.seq}-${alg.toLowerCase()}`);
    this.keys.push(key);
    return key.kid;
  }

  /** A key that signs but is not published (a token forged with someone else's key). */
  async strayKey(alg: SigningAlg = 'ES256', kid?: string): Promise<SigningKey> {
    return newKey(alg, kid ?? `stray-${++this.seq}`);
  }

  /** Stops publishing `kid` (rotation: the marketplace retired it). */
  removeKey(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  publicJwk(kid: string): JWK {
    const k = this.keys.find((x) => x.kid === kid);
    if (!k) throw new Error(`no key ${kid}`);
    return k.publicJwk;
  }

  async sign(sub: string, opts: TokenOptions = {}, key?: SigningKey): Promise<string> {
    const k = key ?? (opts.kid ? this.keys.find((x) => x.kid === opts.kid) : this.keys[this.keys.length - 1]);
    if (!k) throw new Error('no signing key: call addKey() first');
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...opts.extra })
      .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(opts.issuer ?? this.issuer)
      .setAudience(opts.audience ?? this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (opts.expiresIn ?? 3_600));
    if (opts.notBefore !== undefined) jwt.setNotBefore(now + opts.notBefore);
    return jwt.sign(k.privateKey);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<void> {
    if (this.keys.length === 0) await this.addKey();
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const addr = this.server.address() as { port: number };
    this.url = `http://${host}:${addr.port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    if (u.pathname === '/.well-known/jwks.json') {
      this.jwksFetches++;
      return json(res, 200, { keys: this.keys.map((k) => k.publicJwk) });
    }
    if (u.pathname === '/token') {
      const who = DEMO_SHOPPERS.find((s) => s.sub === u.searchParams.get('shopper'));
      if (!who) return json(res, 404, { code: 'not_found', message: `shopper must be one of ${DEMO_SHOPPERS.map((s) => s.sub).join(', ')}` });
      return json(res, 200, { id_token: await this.sign(who.sub, { extra: { name: who.name, city: who.city } }) });
    }
    if (u.pathname === '/') {
      const links = await Promise.all(DEMO_SHOPPERS.map(async (s) => {
        const token = await this.sign(s.sub, { extra: { name: s.name, city: s.city } });
        return `<li><a href="${this.shopUrl}/#id_token=${token}">${s.name}</a></li>`;
      }));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><meta name="viewport" content="width=device-width"><title>Demo marketplace login</title>
<h1>Demo marketplace login (development only)</h1><p>Open the shop signed in as:</p><ul>${links.join('')}</ul>`);
      return;
    }
    json(res, 404, { code: 'not_found', message: 'No such resource.' });
  }
}

async function newKey(alg: SigningAlg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9090' },
      shop: { type: 'string', default: process.env.PUBLIC_URL ?? 'http://localhost:8080' },
      audience: { type: 'string', default: 'flashfest' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log([
      'usage: npm run idp:demo -- [--port=9090] [--shop=http://localhost:8080] [--audience=flashfest]',
      'A development-only marketplace login (JWKS + ID tokens for anyone who asks) on 127.0.0.1:<port>,',
      'for trying SHOPPER_AUTH=jwt|both; it prints the variables to start flashfest with.',
      '  --port=N        its port (default 9090)',
      '  --shop=URL      the flashfest page it sends shoppers back to (default PUBLIC_URL or http://localhost:8080)',
      '  --audience=AUD  the `aud` of its tokens (default flashfest)',
      '  --help, -h      this text',
    ].join('\n'));
    return;
  }
  const idp = new DemoIdp(values.audience, values.shop);
  await idp.listen(Number(values.port));
  console.log(`idp:demo: a development-only marketplace login on ${idp.url} (signs a token for anyone who asks)`);
  console.log('idp:demo: start flashfest with:');
  console.log(`  SHOPPER_AUTH=both SHOPPER_JWKS_URL=${idp.jwksUrl} SHOPPER_JWT_ISSUER=${idp.issuer} SHOPPER_JWT_AUDIENCE=${values.audience} npm start`);
  console.log(`idp:demo: then open ${idp.url}/ and pick a shopper; a raw token: curl '${idp.url}/token?shopper=demo-amina'`);
  const stop = () => void idp.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
