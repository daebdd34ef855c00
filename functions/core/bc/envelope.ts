// Envelope encryption of a small secret (a delegated refresh token) with AWS KMS: KMS makes a fresh AES-256 data
// key per secret (GenerateDataKey), the secret is sealed locally with AES-256-GCM, and only the KMS-encrypted data
// key is kept beside it. The encryption context (tenant and user) is bound twice: by KMS to the data key and by
// GCM as additional data, so a sealed value copied to another user's record does not open. The plaintext data
// key is wiped as soon as it has been used.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';

// The KMS SDK is loaded on first use: every function that bundles the BC package need not evaluate it at cold start.
let kmsModule: Promise<typeof import('./kms-sdk.js')> | undefined;
const kmsSdk = () => (kmsModule ??= import('./kms-sdk.js'));

export interface SealedSecret {
  /** Format version. */
  v: 1;
  /** The KMS key that encrypted the data key (as KMS reported it: the key ARN). */
  keyId: string;
  /** The KMS ciphertext of the data key, base64. */
  encryptedKey: string;
  /** GCM nonce, tag and ciphertext of the secret, base64. */
  iv: string;
  tag: string;
  ciphertext: string;
}

export type EncryptionContext = Record<string, string>;

export interface Envelope {
  seal(plaintext: string, context: EncryptionContext): Promise<SealedSecret>;
  open(sealed: SealedSecret, context: EncryptionContext): Promise<string>;
}

/** The context as GCM's additional data: its entries in key order, so the same context always binds the same. */
function aadOf(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]])), 'utf8');
}

/** Envelope encryption under `keyId`; the client defaults to one made on first use (AWS_ENDPOINT_URL as usual). */
export function kmsEnvelope(keyId: string, client?: KMSClient): Envelope {
  if (!keyId) throw new Error('a KMS key id is needed to seal secrets');
  let kms: Promise<KMSClient> | undefined;
  const kmsClient = () => (kms ??= client ? Promise.resolve(client) : kmsSdk().then(({ KMSClient }) => new KMSClient({})));
  return {
    async seal(plaintext, context) {
      const { GenerateDataKeyCommand } = await kmsSdk();
      const dataKey = await (await kmsClient()).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
      if (!dataKey.Plaintext || !dataKey.CiphertextBlob) throw new Error('KMS GenerateDataKey answered without a data key');
      const key = Buffer.from(dataKey.Plaintext);
      try {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(aadOf(context));
        const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
        return {
          v: 1,
          keyId: dataKey.KeyId ?? keyId,
          encryptedKey: Buffer.from(dataKey.CiphertextBlob).toString('base64'),
          iv: iv.toString('base64'),
          tag: cipher.getAuthTag().toString('base64'),
          ciphertext: ciphertext.toString('base64'),
        };
      } finally {
        key.fill(0);
        dataKey.Plaintext.fill(0);
      }
    },

    async open(sealed, context) {
      if (sealed?.v !== 1) throw new Error('the sealed secret has an unknown format');
      // KeyId pins the key: a record naming another key is refused by KMS rather than decrypted with it.
      const { DecryptCommand } = await kmsSdk();
      const dataKey = await (await kmsClient()).send(new DecryptCommand({ CiphertextBlob: Buffer.from(sealed.encryptedKey, 'base64'), EncryptionContext: context, KeyId: sealed.keyId }));
      if (!dataKey.Plaintext) throw new Error('KMS Decrypt answered without the data key');
      const key = Buffer.from(dataKey.Plaintext);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
        decipher.setAAD(aadOf(context));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
      } finally {
        key.fill(0);
        dataKey.Plaintext.fill(0);
      }
    },
  };
}
