// Debian's Chromium, never a downloaded one, with the flags this machine needs (PACKAGES.md):
// no sandbox as root, and no background networking (the network is closed here).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function checkChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (npm test does it)`);
}

export async function launchChromium(): Promise<Browser> {
  checkChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A browser with a profile in `dir`: what Chromium treats as a normal (not incognito) window,
 *  e.g. for its installability verdict. */
export async function launchChromiumProfile(dir: string): Promise<BrowserContext> {
  checkChromium();
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS });
}
