// Runs before each file of the `shared` project (vitest.config.ts), whose files share one process: a file
// that leaves the environment changed would change what later files see, so it fails here, naming the
// variables, and the environment is put back. Such a file belongs in a process of its own (test/projects.ts).
import { afterAll } from 'vitest';

/** Set by Powertools' commons when first imported (its user-agent tag), the same whichever file imports it. */
const SET_ON_IMPORT = new Set(['AWS_SDK_UA_APP_ID']);

const before = { ...process.env };

afterAll(() => {
  const changed = [...new Set([...Object.keys(before), ...Object.keys(process.env)])].filter((key) => !SET_ON_IMPORT.has(key) && process.env[key] !== before[key]);
  if (changed.length === 0) return;
  for (const key of changed) {
    if (before[key] === undefined) delete process.env[key];
    else process.env[key] = before[key];
  }
  throw new Error(`this file changed process.env (${changed.join(', ')}) while sharing a process with other files; test/projects.ts should give it a process of its own`);
});
