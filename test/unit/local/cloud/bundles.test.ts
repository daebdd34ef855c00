import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputGroup, largestInputs } from '../../../../bench/local-cloud.js';
import { testAssemblyDir } from '../../../support/local-cloud.js';

describe("the local cloud's bundles", () => {
  it('each carry esbuild’s metafile describing that bundle, which the bench groups by package', () => {
    const assembly = testAssemblyDir();
    const bundles = readdirSync(assembly).filter((name) => name.startsWith('asset.') && statSync(join(assembly, name)).isDirectory());
    expect(bundles.length).toBeGreaterThanOrEqual(10);
    for (const dir of bundles) {
      const meta = JSON.parse(readFileSync(join(assembly, dir, 'index.meta.json'), 'utf8')) as Parameters<typeof largestInputs>[0];
      const output = Object.entries(meta.outputs).find(([name]) => name.endsWith('index.mjs'))?.[1];
      expect(output?.bytes).toBe(statSync(join(assembly, dir, 'index.mjs')).size);
      const top = largestInputs(meta, 3);
      expect(top).toHaveLength(3);
      // Largest first, and together no more than the bundle.
      expect(top[0]!.bytes).toBeGreaterThanOrEqual(top[1]!.bytes);
      expect(top[1]!.bytes).toBeGreaterThanOrEqual(top[2]!.bytes);
      expect(top.reduce((sum, { bytes }) => sum + bytes, 0)).toBeLessThanOrEqual(output!.bytes);
    }
  });

  it('leave ajv out of every bundle, and the tool registry and entity catalogue out of handlers that never check a plan', () => {
    const assembly = testAssemblyDir();
    const inputsOf = new Map<string, string[]>();
    for (const dir of readdirSync(assembly).filter((name) => name.startsWith('asset.') && statSync(join(assembly, name)).isDirectory())) {
      const meta = JSON.parse(readFileSync(join(assembly, dir, 'index.meta.json'), 'utf8')) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }> };
      const output = Object.values(meta.outputs).find((o) => o.entryPoint)!;
      inputsOf.set(output.entryPoint!.replace(/^functions\/|\/index\.ts$/g, ''), Object.keys(output.inputs));
    }
    const has = (handler: string, pattern: RegExp) => inputsOf.get(handler)!.some((path) => pattern.test(path));
    const AJV = /node_modules\/ajv\//;
    for (const handler of ['mcp-server', 'workers/query', 'workers/write']) {
      expect(has(handler, AJV), handler).toBe(false);
      expect(has(handler, /functions\/core\/mcp\/without-ajv\.ts$/), handler).toBe(true);
    }
    for (const handler of ['consumers/plan-progress', 'consumers/plan-sweeper', 'consumers/approval-expiry']) {
      expect(has(handler, /functions\/core\/plan\/tools\.ts$/), handler).toBe(false);
      expect(has(handler, /functions\/core\/bc\/entities\.json$/), handler).toBe(false);
    }
  });

  it('attribute inputs to their npm package or the project module', () => {
    expect(inputGroup('node_modules/zod/v4/classic/schemas.js')).toBe('zod');
    expect(inputGroup('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/core');
    expect(inputGroup('node_modules/@aws-lambda-powertools/idempotency/node_modules/@aws-lambda-powertools/jmespath/lib/esm/Functions.js')).toBe(
      '@aws-lambda-powertools/idempotency',
    );
    expect(inputGroup('functions/core/bc/entities.json')).toBe('functions/core/bc');
    expect(inputGroup('functions/workers/query/index.ts')).toBe('functions/workers');
    expect(
      largestInputs({ outputs: { 'index.mjs': { bytes: 10, inputs: { 'node_modules/a/x.js': { bytesInOutput: 2 }, 'node_modules/a/y.js': { bytesInOutput: 3 }, 'functions/core/b/z.ts': { bytesInOutput: 4 } } } } }, 1),
    ).toEqual([{ group: 'a', bytes: 5 }]);
  });
});
