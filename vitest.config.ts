import { defineConfig } from 'vitest/config';

// Integration tests start real servers (local cloud, BC sandbox, MCP server) on ephemeral ports,
// so files run in separate forks and every test is given room for a cold bundle.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizes the dev stack once per run for tests that boot the local cloud (test/support/local-cloud.ts).
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    // In CI a JSON report too, from which .ci/run prints the plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    ...(process.env.CI ? { outputFile: { json: '.local/test-results.json' } } : {}),
  },
});
