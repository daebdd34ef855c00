import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAws, type LocalAwsOptions } from '../../local/aws/index.js';

/** A LocalAws on an ephemeral port with its own state directory, plus the config every SDK client needs. */
export async function startLocalAws(options: Partial<LocalAwsOptions> = {}): Promise<{
  aws: LocalAws;
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stateDir: string;
  cleanup: () => Promise<void>;
}> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'local-aws-'));
  const aws = await LocalAws.start({ port: 0, ...options, stateDir });
  return {
    aws,
    stateDir,
    clientConfig: { endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    cleanup: async () => {
      await aws.stop();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
