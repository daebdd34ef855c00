import { randomBytes, randomUUID } from 'node:crypto';
import { PersistedRecords } from './persistence.js';
import { AwsError, optionalString, requireString, type JsonService } from './protocol.js';

interface SecretRecord {
  name: string;
  arn: string;
  versionId: string;
  secretString: string;
  createdTimestamp: number;
}

/** Secrets Manager: secrets the runtime puts from the template, served by GetSecretValue. Values are never logged. */
export class LocalSecrets {
  private readonly secrets: PersistedRecords<SecretRecord>;

  constructor(private readonly options: { region: string; accountId: string; stateFile?: string }) {
    this.secrets = new PersistedRecords(options.stateFile, (secret) => secret.name);
  }

  /** Creates or replaces a secret; accepts a name or a full ARN (as templates reference them). Returns the ARN. */
  putSecret(nameOrArn: string, value: string): string {
    const name = nameOrArn.startsWith('arn:') ? nameFromArn(nameOrArn) : nameOrArn;
    if (!name) throw new AwsError('ValidationException', `Invalid secret name or ARN: ${nameOrArn}`);
    const existing = this.secrets.get(name);
    // AWS appends 6 random characters to a secret's ARN; a given ARN is kept so template references resolve.
    const arn = nameOrArn.startsWith('arn:') ? nameOrArn
      : existing?.arn ?? `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${randomBytes(3).toString('hex')}`;
    this.secrets.set({ name, arn, versionId: randomUUID(), secretString: value, createdTimestamp: existing?.createdTimestamp ?? Date.now() });
    return arn;
  }

  getSecretValue(secretId: string): SecretRecord {
    const secret = this.secrets.get(secretId) ?? this.secrets.values().find((candidate) =>
      candidate.arn === secretId || (secretId.startsWith('arn:') && nameFromArn(secretId) === candidate.name));
    if (!secret) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  list(): SecretRecord[] {
    return this.secrets.values();
  }

  flush(): void {
    this.secrets.flush();
  }
}

/** `arn:...:secret:name-AbCdEf` → `name` (the 6-character suffix is optional in references). */
function nameFromArn(arn: string): string {
  const resource = arn.split(':secret:')[1] ?? '';
  return resource.replace(/-[A-Za-z0-9]{6}$/, '');
}

/** The Secrets Manager JSON protocol (`secretsmanager.*`, application/x-amz-json-1.1). */
export function secretsApi(secrets: LocalSecrets): JsonService {
  return {
    targetPrefix: 'secretsmanager',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      GetSecretValue: (input) => {
        const secret = secrets.getSecretValue(requireString(input, 'SecretId'));
        return {
          ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, SecretString: secret.secretString,
          VersionStages: ['AWSCURRENT'], CreatedDate: secret.createdTimestamp / 1000,
        };
      },
      CreateSecret: (input) => {
        const name = requireString(input, 'Name');
        if (secrets.list().some((secret) => secret.name === name)) {
          throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        }
        const arn = secrets.putSecret(name, optionalString(input, 'SecretString') ?? '');
        return { ARN: arn, Name: name, VersionId: secrets.getSecretValue(name).versionId };
      },
      PutSecretValue: (input) => {
        const existing = secrets.getSecretValue(requireString(input, 'SecretId'));
        secrets.putSecret(existing.arn, requireString(input, 'SecretString'));
        const updated = secrets.getSecretValue(existing.name);
        return { ARN: updated.arn, Name: updated.name, VersionId: updated.versionId, VersionStages: ['AWSCURRENT'] };
      },
      DescribeSecret: (input) => {
        const secret = secrets.getSecretValue(requireString(input, 'SecretId'));
        return { ARN: secret.arn, Name: secret.name, CreatedDate: secret.createdTimestamp / 1000 };
      },
      ListSecrets: () => ({
        SecretList: secrets.list().map((secret) => ({ ARN: secret.arn, Name: secret.name, CreatedDate: secret.createdTimestamp / 1000 })),
      }),
    },
  };
}
