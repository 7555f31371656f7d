// One e2e file's world: a real engine serving the built client, and Debian's Chromium.
import { existsSync, mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { startEngine, type RunningEngine } from './engine.ts';

/** Where e2e tests leave their screenshots. */
export const ARTIFACTS = 'test-artifacts';

export interface BrowserWorld {
  engine: RunningEngine;
  browser: Browser;
  /** closes Chromium, stops the engine and removes its namespace */
  close(): Promise<void>;
}

/** The engine (with `env`) on the built client, whose `page` (e.g. 'ops.html') the file needs:
 *  `npm test` builds it first. */
export async function startBrowserWorld(page: string, env: Record<string, string> = {}): Promise<BrowserWorld> {
  if (!existsSync(`client/dist/${page}`)) throw new Error('client not built: run npm run build (npm test does it)');
  mkdirSync(ARTIFACTS, { recursive: true });
  const engine = await startEngine({ STATIC_DIR: 'client/dist', ...env });
  const stopEngine = async () => {
    await engine.stop();
    await engine.env.cleanup();
  };
  const browser = await launchChromium().catch(async (err: unknown) => {
    await stopEngine();
    throw err;
  });
  return {
    engine, browser,
    async close() {
      await browser.close();
      await stopEngine();
    },
  };
}
