// Which unit and infrastructure test files may share one process with other files (vitest.config.ts's
// `shared` project, `isolate: false`): those that neither themselves nor through the test/support modules they
// import (transitively) change process-wide state or need a fresh module graph. Everything else, and every
// file on the local cloud, keeps a fresh process per file. Decided by reading the sources at config time, so a
// new file lands on the right side without anyone keeping a list; test/shared-process-setup.ts fails a shared
// file that changes the environment anyway.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** What makes a file unfit to share a process, with the reason reported by `isolationReasons`. */
const PROCESS_STATE: ReadonlyArray<readonly [RegExp, string]> = [
  [/process\.env(\.\w+|\[[^\]]+\])\s*(=(?!=)|\?\?=|\|\|=)|Object\.assign\(\s*process\.env|delete\s+process\.env|process\.env\s*=(?!=)/, 'changes process.env'],
  // Typically: set the environment, then import a handler that reads it once at module load.
  [/\bimport\(/, 'imports a module at run time'],
  [/vi\.(mock|doMock|unmock|spyOn|stubGlobal|stubEnv|useFakeTimers|setSystemTime|hoisted)\b/, 'mocks, spies, fakes timers or stubs globals'],
  [/process\.(on|once|off|removeListener|chdir|exit|umask)\(/, 'changes the process'],
  [/globalThis\.\w+\s*=(?!=)/, 'sets a global'],
  // Boots the local cloud (its worker threads and synthesized assembly): those files keep their own process.
  [/support\/(local-cloud|chat|chromium)\.js'/, 'starts the local cloud'],
];

/** Helpers that spy on process.stdout/stderr only while their callback runs and restore in a `finally`. */
const RESTORES_ITS_SPIES = new Set(['test/support/log-lines.ts', 'test/support/emf.ts']);

/** Why `file` (absolute) must run in a process of its own; empty when it may share one. */
export function isolationReasons(root: string, file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const name = relative(root, file);
  const reasons = PROCESS_STATE.filter(([pattern, why]) => pattern.test(source) && !(RESTORES_ITS_SPIES.has(name) && why.startsWith('mocks'))).map(([, why]) => `${name} ${why}`);
  // Every helper under test/ the file imports (support, infra helpers; `import`, `export … from`, either quote).
  for (const [, specifier] of source.matchAll(/(?:from|import)\s*['"](\.[^'"]+)['"]/g)) {
    const imported = resolve(dirname(file), specifier!.replace(/\.js$/, '.ts'));
    if (imported.startsWith(join(root, 'test') + sep) && !imported.endsWith('.test.ts') && existsSync(imported)) reasons.push(...isolationReasons(root, imported, seen));
  }
  return reasons;
}

/** The unit and infrastructure test files (relative to `root`) that may share a process. */
export function sharedProcessFiles(root: string): string[] {
  return ['unit', 'infra']
    .flatMap((dir) => readdirSync(join(root, 'test', dir), { recursive: true, encoding: 'utf8' }).map((file) => join('test', dir, file)))
    .filter((file) => file.endsWith('.test.ts') && isolationReasons(root, join(root, file)).length === 0)
    .sort();
}
