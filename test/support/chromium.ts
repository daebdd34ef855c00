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

export const NO_CHROMIUM_MESSAGE = 'no Chromium binary found: the browser tests need one (install Debian\'s: apt-get install -y chromium, as .ci/run does, or set CHROMIUM_PATH)';

/** The console's browser tests' world: the local cloud serving the built console, and a launched Chromium. */
export interface ConsoleInBrowser {
  cloud: TestCloud;
  browser: Browser;
}

/**
 * Describes browser tests of the web console: the console built, the local cloud serving it on the API's port,
 * Chromium launched; all stopped after. Without Chromium they fail with the install hint: a browser test never
 * passes by not running.
 */
export function describeInChromium(title: string, body: (world: () => ConsoleInBrowser) => void): void {
  describe(`${title} in Chromium`, () => {
    let world: ConsoleInBrowser | undefined;
    let webDir: string | undefined;
    beforeAll(async () => {
      const executable = findChromium();
      if (!executable) throw new Error(NO_CHROMIUM_MESSAGE);
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
