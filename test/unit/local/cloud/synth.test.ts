import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { latestAssemblyDir, sourceHash } from '../../../../local/cloud/synth.js';

const root = mkdtempSync(join(tmpdir(), 'synth-hash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

describe('synthesis cache key', () => {
  it('changes with CDK and function sources and the lock file, not with the local runtime or tests', async () => {
    write('lib/stack.ts', 'a');
    write('functions/orchestrator/index.ts', 'b');
    write('package-lock.json', '{}');
    write('local/cloud/cloud.ts', 'runtime');
    write('test/x.test.ts', 'test');
    const base = await sourceHash(root);

    write('local/cloud/cloud.ts', 'runtime changed');
    write('test/x.test.ts', 'test changed');
    expect(await sourceHash(root)).toBe(base);

    write('functions/orchestrator/index.ts', 'b2');
    const afterFunction = await sourceHash(root);
    expect(afterFunction).not.toBe(base);

    write('package-lock.json', '{"v":2}');
    const afterLock = await sourceHash(root);
    expect(afterLock).not.toBe(afterFunction);

    // package.json's sideEffects decides what esbuild drops from the bundles.
    write('package.json', '{"sideEffects":false}');
    expect(await sourceHash(root)).not.toBe(afterLock);
  });

  it('finds no latest assembly where nothing was synthesized', async () => {
    expect(await latestAssemblyDir(join(root, 'cdk.out'))).toBeUndefined();
  });
});
