// The local KMS through the real @aws-sdk/client-kms: data keys and ciphertexts bound to their encryption context
// and key, KMS's named exceptions for the wrong context, key or blob, and keys that survive a restart (data sealed
// before a restart still opens after it).
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalAws } from '../../../support/local-aws.js';

const stateDir = mkdtempSync(join(tmpdir(), 'local-kms-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const failure = (work: Promise<unknown>) => work.then(() => undefined, (e: unknown) => e as Error);

describe('local KMS', () => {
  it('makes data keys whose ciphertext opens only with the same context and key, across a restart', async () => {
    const first = await startLocalAws({ stateDir });
    const kms = new KMSClient(first.clientConfig);
    const key = (await kms.send(new CreateKeyCommand({ Description: 'test' }))).KeyMetadata!;
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(key.Arn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    const context = { tenantId: 'local', userId: 'alice' };

    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.Arn, KeySpec: 'AES_256', EncryptionContext: context }));
    expect(dataKey.Plaintext).toHaveLength(32);
    expect(dataKey.KeyId).toBe(key.Arn);
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { userId: 'alice', tenantId: 'local' } }));
    expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);

    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { tenantId: 'local', userId: 'bob' } }))))?.name).toBe('InvalidCiphertextException');
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }))))?.name).toBe('InvalidCiphertextException');
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context, KeyId: other.Arn }))))?.name).toBe('IncorrectKeyException');
    const tampered = Buffer.from(dataKey.CiphertextBlob!);
    tampered[tampered.length - 1]! ^= 1;
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context }))))?.name).toBe('InvalidCiphertextException');
    expect((await failure(kms.send(new GenerateDataKeyCommand({ KeyId: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-a000-000000000000', KeySpec: 'AES_256' }))))?.name).toBe('NotFoundException');

    const sealed = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('refresh-token'), EncryptionContext: context }));
    kms.destroy();
    await first.aws.stop();

    const second = await startLocalAws({ stateDir });
    try {
      const again = new KMSClient(second.clientConfig);
      expect((await again.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata).toMatchObject({ Arn: key.Arn, KeyState: 'Enabled' });
      const plain = await again.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context, KeyId: key.Arn }));
      expect(Buffer.from(plain.Plaintext!).toString()).toBe('refresh-token');
      again.destroy();
    } finally {
      await second.aws.stop();
    }
  });
});
