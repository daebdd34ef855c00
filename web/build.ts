// Builds the web console (web/src) into a static directory: index.html, one bundled script and one
// stylesheet, with Preact compiled in, so nothing is fetched from a CDN at run time. `npm run build:web`
// writes `.local/web/`; `npm start` builds it on each start (esbuild takes well under a second).
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const WEB_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_WEB_OUT_DIR = resolve(WEB_DIR, '..', '.local', 'web');

export interface WebBuildResult {
  dir: string;
  /** Bytes of the bundled script, for the README's figure. */
  scriptBytes: number;
}

export async function buildWebConsole(outDir: string = DEFAULT_WEB_OUT_DIR, options: { minify?: boolean } = {}): Promise<WebBuildResult> {
  const dir = resolve(outDir);
  // The build writes fixed names (and content-hashed chunks) and overwrites them; it never clears the
  // directory it is given.
  await mkdir(dir, { recursive: true });
  await build({
    entryPoints: { app: join(WEB_DIR, 'src', 'main.tsx') },
    outdir: dir,
    // What only some sign-ins need (the OIDC client) is a chunk loaded on demand, not part of app.js.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    logLevel: 'silent',
    tsconfig: join(WEB_DIR, 'tsconfig.json'),
  });
  await copyFile(join(WEB_DIR, 'index.html'), join(dir, 'index.html'));
  await copyFile(join(WEB_DIR, 'styles.css'), join(dir, 'styles.css'));
  return { dir, scriptBytes: (await stat(join(dir, 'app.js'))).size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2] ?? DEFAULT_WEB_OUT_DIR;
  buildWebConsole(outDir).then(
    ({ dir, scriptBytes }) => process.stdout.write(`web console built in ${dir} (app.js ${(scriptBytes / 1024).toFixed(1)} KiB)\n`),
    (error: unknown) => {
      process.stderr.write(`the web console did not build: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
