// Light clients for fan-out tests: thousands of them in one process, so they never JSON.parse a
// snapshot; they read `seq` and `at` from its head. Plus a gateway in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import type { TestEnv } from '../helpers/test-env.ts';
import type { SessionSigner } from '../../src/gateway/session.ts';

const HEAD = /^\{"t":"deals","festival":"(\d+)","seq":(\d+),"at":(\d+)/;

export class LiveClient {
  readonly seqs: number[] = [];
  readonly latencies: number[] = [];
  festivalMessages = 0;
  tickerItems: { city: string; title: string; deal: string }[] = [];
  tickerRaw: string[] = [];
  closeCode: number | null = null;
  bytes = 0;
  lastDeals: string | null = null;
  keepLast = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length;
      const m = HEAD.exec(data.toString('latin1', 0, 80));
      if (m) {
        this.seqs.push(Number(m[2]));
        this.latencies.push(Date.now() - Number(m[3]));
        if (this.keepLast) this.lastDeals = data.toString();
        return;
      }
      const s = data.toString();
      if (s.startsWith('{"t":"festival"')) {
        this.festivalMessages++;
      } else if (s.startsWith('{"t":"ticker"')) {
        this.tickerRaw.push(s);
        this.tickerItems.push(...(JSON.parse(s) as { items: LiveClient['tickerItems'] }).items);
      }
    });
    ws.on('close', (code) => { this.closeCode = code; });
  }

  static open(wsUrl: string, token: string): Promise<LiveClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`, { perMessageDeflate: false, skipUTF8Validation: true });
      const c = new LiveClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  subscribe(festival: string): void {
    this.ws.send(JSON.stringify({ t: 'sub', festival }));
  }

  /** Stop reading: the kernel buffers fill, then the gateway's buffer for this socket grows. */
  pause(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  resume(): void {
    (this.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface GatewayProcess {
  port: number;
  url: string;
  wsUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `node --import tsx server/src/main.ts` with FF_ROLE=gateway in the test's namespace. */
export async function spawnGateway(env: TestEnv, extra: Record<string, string> = {}): Promise<GatewayProcess> {
  // FF_TEST_CPU_PROF=<dir>: profile the gateway (written when it exits)
  const prof = process.env.FF_TEST_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FF_TEST_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'server/src/main.ts'], {
    env: { ...process.env, ...env.env, FF_ROLE: 'gateway', PORT: '0', LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /flashfest ready: \S+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
  });
  child.stdout!.resume();
  return {
    port, child, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Grabbers that keep `depth` grabs outstanding each, for `ms`, round-robin over `deals`. */
export async function grabFlatOut(wsUrl: string, signer: SessionSigner, deals: string[], n: number, depth: number, ms: number): Promise<{ answers: number; held: number; seconds: number }> {
  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(signer.issue().token)}`, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  let answers = 0;
  let held = 0;
  let k = 0;
  const t0 = Date.now();
  const until = t0 + ms;
  const done = Promise.all(sockets.map((ws, i) => new Promise<void>((resolve) => {
    let outstanding = 0;
    const next = () => {
      if (Date.now() >= until) {
        if (outstanding === 0) resolve();
        return;
      }
      outstanding++;
      ws.send(JSON.stringify({ t: 'grab', deal: deals[k++ % deals.length], qty: 1, rid: `g${i}-${k}` }));
    };
    ws.on('message', (data) => {
      const s = String(data);
      if (s.startsWith('{"t":"held"') || s.startsWith('{"t":"refused"')) {
        outstanding--;
        answers++;
        if (s.startsWith('{"t":"held"')) held++;
        next();
      }
    });
    for (let d = 0; d < depth; d++) next();
  })));
  await done;
  const seconds = (Date.now() - t0) / 1000;
  for (const ws of sockets) ws.terminate();
  return { answers, held, seconds };
}
