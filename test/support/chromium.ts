// The Chromium the browser tests drive through playwright-core: CHROMIUM_PATH, else Debian's `chromium`
// package (`apt-get install -y chromium`, which .ci/run does) or another Chromium on PATH. Nothing is downloaded.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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
