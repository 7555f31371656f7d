// SIGTERM to a real engine process: it stops accepting, answers every grab it already took,
// closes sockets with ServerStopping (4010) so clients reconnect elsewhere, and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { CloseCode, type ServerMessage } from '../../src/shared/protocol.ts';

describe('graceful stop', () => {
  let env: TestEnv;
  let child: ChildProcess | undefined;

  beforeAll(async () => { env = await createTestEnv(); });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await env?.cleanup();
  });

  it('answers in-flight grabs, closes sockets with 4010 and exits 0', async () => {
    const dealId = (await seedDeals(env.pool, [{ stock: 10_000, limit: 100, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(env, [dealId]);
    child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      env: { ...process.env, ...env.env, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (c: Buffer) => {
        out += c;
        const m = /flashfest ready: \S+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.once('exit', (code) => reject(new Error(`engine exited early with ${code}`)));
    });
    const signer = new SessionSigner(env.config.sessionSecret, 600);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => ShopperSocket.open(`ws://127.0.0.1:${port}/ws`, signer.issue().token)));
    const answers: Promise<ServerMessage>[] = [];
    sockets.forEach((s, i) => {
      for (let g = 0; g < 20; g++) {
        const rid = `${i}-${g}`;
        answers.push(s.answerTo(rid, 15_000));
        s.send({ t: 'grab', deal: dealId, qty: 1, rid });
      }
    });
    // wait until the first answers arrive, so the gateway is mid-storm, then stop it
    await answers[0];
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const all = await Promise.all(answers);
    expect(all.every((m) => m.t === 'held')).toBe(true);
    for (const s of sockets) expect(await s.closed()).toBe(CloseCode.ServerStopping);
    expect(await exited).toBe(0);
    // nothing after the stop: new connections are refused
    await expect(ShopperSocket.open(`ws://127.0.0.1:${port}/ws`, signer.issue().token)).rejects.toThrow();
  }, 60_000);
});
