// The sandbox's identity settings from the environment (BC_SANDBOX_DIRECTORY_FILE, BC_SANDBOX_OBO_*): a directory
// file replaces the default users, a trusted issuer makes the on-behalf-of grant work, bad settings fail clearly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identitySettingsFromEnv } from '../../../../local/bc-sandbox/identity-env.js';
import { defaultDirectory, startBcSandbox } from '../../../../local/bc-sandbox/index.js';
import { loadOrCreateJwtKeys, signLocalToken } from '../../../../local/cloud/jwt.js';

const dir = mkdtempSync(join(tmpdir(), 'bc-identity-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('identity settings from the environment', () => {
  it('starts a sandbox with the directory file and the issuer of the local cloud', async () => {
    const keys = await loadOrCreateJwtKeys(dir);
    const directoryFile = join(dir, 'directory.json');
    writeFileSync(directoryFile, JSON.stringify({ ...defaultDirectory, users: [{ userName: 'erin', authenticationObjectId: 'erin-oid', permissionSets: ['D365 READ'] }] }));
    const settings = identitySettingsFromEnv({
      BC_SANDBOX_DIRECTORY_FILE: directoryFile,
      BC_SANDBOX_OBO_ISSUER: 'https://issuer.local',
      BC_SANDBOX_OBO_AUDIENCE: 'api-one, api-two',
      BC_SANDBOX_OBO_PUBLIC_KEY_FILE: join(dir, 'jwt', 'public.pem'),
    });
    expect(settings.userAssertions).toMatchObject({ issuer: 'https://issuer.local', audience: ['api-one', 'api-two'] });
    const sandbox = await startBcSandbox(settings);
    try {
      expect(sandbox.directory().users.map((u) => u.userName)).toEqual(['ERIN']);
      const assertion = await signLocalToken(keys, { issuer: 'https://issuer.local', audience: ['api-two'] }, { sub: 'erin-oid', tenant: 'local', entra: true });
      expect(await sandbox.getUserToken(assertion)).toMatch(/^bcsbx\./);
      const alice = await signLocalToken(keys, { issuer: 'https://issuer.local', audience: ['api-two'] }, { sub: 'alice', tenant: 'local', entra: true });
      await expect(sandbox.getUserToken(alice)).rejects.toMatchObject({ errorCodes: [50034] });
    } finally {
      await sandbox.stop();
    }
  });

  it('refuses incomplete or contradictory settings, naming the variable', () => {
    expect(identitySettingsFromEnv({})).toEqual({});
    expect(() => identitySettingsFromEnv({ BC_SANDBOX_OBO_AUDIENCE: 'x' })).toThrow(/need BC_SANDBOX_OBO_ISSUER/);
    expect(() => identitySettingsFromEnv({ BC_SANDBOX_OBO_ISSUER: 'i' })).toThrow(/needs BC_SANDBOX_OBO_AUDIENCE/);
    expect(() => identitySettingsFromEnv({ BC_SANDBOX_OBO_ISSUER: 'i', BC_SANDBOX_OBO_AUDIENCE: 'a' })).toThrow(/exactly one of BC_SANDBOX_OBO_JWKS_URI/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...defaultDirectory, appPermissionSets: ['SUPER'] }));
    expect(() => identitySettingsFromEnv({ BC_SANDBOX_DIRECTORY_FILE: bad })).toThrow(/BC_SANDBOX_DIRECTORY_FILE .*'SUPER', which is not defined/);
    writeFileSync(bad, '{ not json');
    expect(() => identitySettingsFromEnv({ BC_SANDBOX_DIRECTORY_FILE: bad })).toThrow(/BC_SANDBOX_DIRECTORY_FILE/);
  });
});
