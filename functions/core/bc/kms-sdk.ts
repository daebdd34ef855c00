// What the envelope uses of the KMS SDK, the module envelope.ts imports on first use: being ours and naming its
// exports, it lets esbuild keep these commands only, not the whole client (every command, enum and paginator of
// KMS ends up in the bundle when the SDK's own entry is imported dynamically).
export { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
