// Debian's aws-cli 2.9 (`apt-get install -y awscli`, which .ci/run does), the AWS CLI the local cloud's AWS
// endpoint is tested against. The tests that use it need it: a missing CLI fails them with the install hint.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

export const AWS_CLI = '/usr/bin/aws';

const run = promisify(execFile);

/** Runs `aws --endpoint-url <endpoint> --region us-east-1 <args>` with test credentials and no config files. */
export function awsCli(endpoint: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!existsSync(AWS_CLI)) {
    throw new Error(`${AWS_CLI} is absent: these tests drive Debian's aws-cli 2.9; install it with apt-get install -y awscli (.ci/run does)`);
  }
  return run(AWS_CLI, ['--endpoint-url', endpoint, '--region', 'us-east-1', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  });
}
