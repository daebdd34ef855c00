// The Chromium the browser tests drive through playwright-core: CHROMIUM_PATH, else Debian's `chromium`
// package (`apt-get install -y chromium`, which .ci/run does) or another Chromium on PATH. Nothing is downloaded.
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildWebConsole } from '../../web/build.js';
import { startTestCloud, type TestCloud } from './local-cloud.js';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.CHROMIUM_PATH ? [env.CHROMIUM_PATH] : (env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => NAMES.map((name) => join(dir, name)));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const NO_CHROMIUM_MESSAGE = 'no Chromium binary found (install Debian\'s: apt-get install -y chromium, or set CHROMIUM_PATH); the browser tests are skipped';

/** The console's browser tests' world: the local cloud serving the built console, and a launched Chromium. */
export interface ConsoleInBrowser {
  cloud: TestCloud;
  browser: Browser;
}

/**
 * Describes browser tests of the web console: the console built, the local cloud serving it on the API's port,
 * Chromium launched; all stopped after. Without Chromium they are skipped, saying why, on a developer's machine;
 * in CI (`CI` set, as .ci/run installs Chromium) a missing browser fails them instead, so the browser tests can
 * never pass there by not running.
 */
export function describeInChromium(title: string, body: (world: () => ConsoleInBrowser) => void): void {
  const executable = findChromium();
  const skip = !executable && !process.env.CI;
  if (skip) console.warn(`${title}: ${NO_CHROMIUM_MESSAGE}`);
  describe.skipIf(skip)(`${title} in Chromium${skip ? ` (skipped: ${NO_CHROMIUM_MESSAGE})` : ''}`, () => {
    let world: ConsoleInBrowser | undefined;
    let webDir: string | undefined;
    beforeAll(async () => {
      if (!executable) throw new Error(`CI runs the browser tests: ${NO_CHROMIUM_MESSAGE.replace('; the browser tests are skipped', '')}`);
      webDir = await mkdtemp(join(tmpdir(), 'bc-agent-web-'));
      await buildWebConsole(webDir);
      const cloud = await startTestCloud({ webConsole: { dir: webDir } });
      // Root in a container has no user namespaces for Chromium's sandbox.
      const browser = await chromium.launch({ executablePath: executable, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] }).catch(async (error: unknown) => {
        await cloud.stop();
        throw error;
      });
      world = { cloud, browser };
    });
    afterAll(async () => {
      await world?.browser.close();
      await world?.cloud.stop();
      if (webDir) await rm(webDir, { recursive: true, force: true });
    });
    body(() => {
      if (!world) throw new Error('the browser world is not up (see the beforeAll failure)');
      return world;
    });
  });
}
