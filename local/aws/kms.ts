// KMS, the part envelope encryption needs: symmetric keys (SYMMETRIC_DEFAULT, AES-256-GCM here), Encrypt,
// Decrypt, GenerateDataKey(WithoutPlaintext), CreateKey, DescribeKey, ListKeys. The encryption context is bound
// as authenticated data, as KMS binds it: decrypting with another context fails with InvalidCiphertextException.
// Ciphertext blobs name their key, so Decrypt needs no KeyId (and refuses a KeyId that is not the blob's:
// IncorrectKeyException). Key material lives in <stateDir>/kms.json, written before a new key is reported.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { PersistedRecords } from './persistence.js';
import { AwsError, optionalNumber, optionalObject, optionalString, requireString, type JsonService } from './protocol.js';

interface KeyRecord {
  keyId: string;
  arn: string;
  /** AES-256 key material, base64. */
  material: string;
  description: string;
  creationDate: number;
}

const BLOB_MAGIC = Buffer.from('LKMS1');
const MAX_PLAINTEXT_BYTES = 4096;

export class LocalKms {
  private readonly keys: PersistedRecords<KeyRecord>;

  constructor(private readonly options: { region: string; accountId: string; stateFile?: string }) {
    this.keys = new PersistedRecords(options.stateFile, (key) => key.keyId);
  }

  /** Creates a key; with `arnOrId` (as a template's key resolves locally) that id, kept across restarts. */
  createKey(description = '', arnOrId?: string): KeyRecord {
    const keyId = arnOrId ? keyIdOf(arnOrId) : randomUUID();
    const existing = this.keys.get(keyId);
    if (existing) return existing;
    const key: KeyRecord = {
      keyId,
      arn: `arn:aws:kms:${this.options.region}:${this.options.accountId}:key/${keyId}`,
      material: randomBytes(32).toString('base64'),
      description,
      creationDate: Date.now(),
    };
    this.keys.set(key);
    // Data sealed under a key that a crash forgot could never be opened: the key is on disk before it is used.
    this.keys.flush();
    return key;
  }

  key(keyIdOrArn: string): KeyRecord {
    if (keyIdOrArn.startsWith('alias/') || keyIdOrArn.includes(':alias/')) {
      throw new AwsError('NotFoundException', `Alias ${keyIdOrArn} is not found (the local KMS has no aliases).`);
    }
    const key = this.keys.get(keyIdOf(keyIdOrArn));
    if (!key) throw new AwsError('NotFoundException', `Key '${keyIdOrArn}' does not exist`);
    return key;
  }

  list(): KeyRecord[] {
    return this.keys.values();
  }

  encrypt(keyIdOrArn: string, plaintext: Buffer, context: Record<string, string> | undefined): { blob: Buffer; key: KeyRecord } {
    const key = this.key(keyIdOrArn);
    if (plaintext.length === 0 || plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new AwsError('ValidationException', `Plaintext must be 1 to ${MAX_PLAINTEXT_BYTES} bytes long`);
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
    cipher.setAAD(aadOf(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(key.keyId, 'ascii');
    return { blob: Buffer.concat([BLOB_MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), ciphertext]), key };
  }

  decrypt(blob: Buffer, context: Record<string, string> | undefined, keyIdOrArn?: string): { plaintext: Buffer; key: KeyRecord } {
    const invalid = () => new AwsError('InvalidCiphertextException', 'The ciphertext is invalid, or was encrypted under another encryption context.');
    if (blob.length < BLOB_MAGIC.length + 1 || !blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)) throw invalid();
    const idLength = blob[BLOB_MAGIC.length]!;
    let offset = BLOB_MAGIC.length + 1;
    const keyId = blob.subarray(offset, offset + idLength).toString('ascii');
    offset += idLength;
    if (blob.length < offset + 28) throw invalid();
    const key = this.keys.get(keyId);
    if (!key) throw invalid();
    if (keyIdOrArn !== undefined && keyIdOf(keyIdOrArn) !== key.keyId) {
      throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), blob.subarray(offset, offset + 12));
      decipher.setAAD(aadOf(context));
      decipher.setAuthTag(blob.subarray(offset + 12, offset + 28));
      return { plaintext: Buffer.concat([decipher.update(blob.subarray(offset + 28)), decipher.final()]), key };
    } catch {
      throw invalid();
    }
  }

  flush(): void {
    this.keys.flush();
  }
}

/** `arn:aws:kms:…:key/<id>` or `<id>` → `<id>`. */
function keyIdOf(keyIdOrArn: string): string {
  const match = /:key\/(.+)$/.exec(keyIdOrArn);
  return match ? match[1]! : keyIdOrArn;
}

/** The context in key order (KMS treats it as an unordered map). */
function aadOf(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function contextOf(input: Record<string, unknown>): Record<string, string> | undefined {
  const context = optionalObject(input, 'EncryptionContext');
  if (!context) return undefined;
  for (const [name, value] of Object.entries(context)) {
    if (typeof value !== 'string') throw new AwsError('ValidationException', `EncryptionContext value of '${name}' must be a string`);
  }
  return context as Record<string, string>;
}

function blobOf(input: Record<string, unknown>, name: string): Buffer {
  const value = requireString(input, name);
  return Buffer.from(value, 'base64');
}

function dataKeyBytes(input: Record<string, unknown>): number {
  const spec = optionalString(input, 'KeySpec');
  const bytes = optionalNumber(input, 'NumberOfBytes');
  if (spec !== undefined && bytes !== undefined) throw new AwsError('ValidationException', 'Specify either KeySpec or NumberOfBytes, not both');
  if (spec === 'AES_256') return 32;
  if (spec === 'AES_128') return 16;
  if (spec !== undefined) throw new AwsError('ValidationException', `KeySpec must be AES_256 or AES_128, got ${spec}`);
  if (bytes === undefined) throw new AwsError('ValidationException', 'KeySpec or NumberOfBytes is required');
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) throw new AwsError('ValidationException', 'NumberOfBytes must be 1 to 1024');
  return bytes;
}

const metadataOf = (key: KeyRecord) => ({
  KeyId: key.keyId, Arn: key.arn, AWSAccountId: key.arn.split(':')[4], CreationDate: key.creationDate / 1000, Description: key.description,
  Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
  KeyManager: 'CUSTOMER', Origin: 'AWS_KMS', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false,
});

/** The KMS JSON protocol (`TrentService.*`, application/x-amz-json-1.1); blobs travel as base64. */
export function kmsApi(kms: LocalKms): JsonService {
  const generate = (input: Record<string, unknown>, withPlaintext: boolean) => {
    const plaintext = randomBytes(dataKeyBytes(input));
    try {
      const { blob, key } = kms.encrypt(requireString(input, 'KeyId'), plaintext, contextOf(input));
      return { KeyId: key.arn, CiphertextBlob: blob.toString('base64'), ...(withPlaintext ? { Plaintext: plaintext.toString('base64') } : {}) };
    } finally {
      plaintext.fill(0);
    }
  };
  return {
    targetPrefix: 'TrentService',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      CreateKey: (input) => ({ KeyMetadata: metadataOf(kms.createKey(optionalString(input, 'Description') ?? '')) }),
      DescribeKey: (input) => ({ KeyMetadata: metadataOf(kms.key(requireString(input, 'KeyId'))) }),
      ListKeys: () => ({ Keys: kms.list().map((key) => ({ KeyId: key.keyId, KeyArn: key.arn })), Truncated: false }),
      Encrypt: (input) => {
        const { blob, key } = kms.encrypt(requireString(input, 'KeyId'), blobOf(input, 'Plaintext'), contextOf(input));
        return { KeyId: key.arn, CiphertextBlob: blob.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      },
      Decrypt: (input) => {
        const { plaintext, key } = kms.decrypt(blobOf(input, 'CiphertextBlob'), contextOf(input), optionalString(input, 'KeyId'));
        return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      },
      GenerateDataKey: (input) => generate(input, true),
      GenerateDataKeyWithoutPlaintext: (input) => generate(input, false),
    },
  };
}
