import { defineConfig } from 'vitest/config';
import { sharedProcessFiles } from './test/projects.js';

const shared = sharedProcessFiles(import.meta.dirname);

// Two projects. `shared`: unit and infrastructure files that change no process-wide state (test/projects.ts
// decides by reading them) run one after another in a reused process, so the module graph (AWS SDK, CDK, MCP
// SDK) is imported once per worker instead of once per file. `isolated`: everything else, including every
// file that starts the local cloud, in a fresh fork per file. Integration tests start real servers (local
// cloud, BC sandbox, MCP server) on ephemeral ports, and every test is given room for a cold bundle.
export default defineConfig({
  test: {
    // Two cores run two files at a time (vitest's default keeps one core free, i.e. runs one file at a time):
    // most of an integration file's time is spent waiting on its servers, not computing.
    maxWorkers: 2,
    // Room for a cold local cloud beside another file's (waits end as soon as their condition holds).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    // In CI a JSON report too, from which .ci/run prints the plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    ...(process.env.CI ? { outputFile: { json: '.local/test-results.json' } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: shared,
          pool: 'forks',
          isolate: false,
          setupFiles: ['test/shared-process-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: shared,
          pool: 'forks',
          isolate: true,
          // Synthesizes the dev stack once per run for tests that boot the local cloud (test/support/local-cloud.ts).
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
