// A synthesized stack as it exists on this machine: every resource's physical identity (the name, ARN or URL
// a Ref or GetAtt yields) follows the local naming rules below, so resolution needs no deployment.
// Names are deterministic (stack name + logical id) so state kept under `.local/` matches after a restart.
import { createHash } from 'node:crypto';
import { IntrinsicError, resolveIntrinsics, resolveString, evaluateCondition, type IntrinsicContext } from './intrinsics.js';
import type { CfnResource, CfnTemplate } from './types.js';

export interface LocalStackOptions {
  stackName: string;
  region: string;
  accountId: string;
  /** The AWS endpoint, e.g. `http://127.0.0.1:4566` (queue URLs live under it). */
  awsUrl: string;
  /** The HTTP API's base URL (an ApiGatewayV2 Api's `ApiEndpoint`). */
  apiUrl: string;
  /** The MCP server's function URL, with its trailing slash (an AWS::Lambda::Url's `FunctionUrl`). */
  functionUrl: string;
}

export interface ResourceIdentity {
  ref: unknown;
  attributes: Record<string, unknown>;
}

export class LocalStack implements IntrinsicContext {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly parameters: Record<string, unknown>;
  readonly conditions: Record<string, unknown>;
  private readonly identities = new Map<string, ResourceIdentity>();
  private readonly resolving = new Set<string>();

  constructor(
    readonly template: CfnTemplate,
    private readonly options: LocalStackOptions,
  ) {
    this.stackName = options.stackName;
    this.region = options.region;
    this.accountId = options.accountId;
    this.conditions = template.Conditions ?? {};
    this.parameters = Object.fromEntries(
      Object.entries(template.Parameters ?? {}).map(([name, p]) => [name, p.Default ?? '']),
    );
  }

  /** Resolves every intrinsic in a value. */
  resolve(value: unknown): unknown {
    return resolveIntrinsics(value, this);
  }

  resolveString(value: unknown, what: string): string {
    return resolveString(value, this, what);
  }

  /** Resources of a type whose Condition (if any) holds, in template order. */
  resourcesOfType(type: string): Array<[logicalId: string, resource: CfnResource]> {
    return Object.entries(this.template.Resources).filter(
      ([, resource]) => resource.Type === type && (!resource.Condition || evaluateCondition(resource.Condition, this)),
    );
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new IntrinsicError(`no resource ${logicalId} in stack ${this.stackName}`);
    return resource;
  }

  /** Replaces part of a resource's identity with what the local service reported when it was created. */
  override(logicalId: string, identity: Partial<ResourceIdentity>): void {
    const current = this.identity(logicalId);
    this.identities.set(logicalId, {
      ref: identity.ref ?? current.ref,
      attributes: { ...current.attributes, ...identity.attributes },
    });
  }

  ref(logicalId: string): unknown {
    return this.identity(logicalId).ref;
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const attributes = this.identity(logicalId).attributes;
    if (!Object.hasOwn(attributes, attribute)) {
      throw new IntrinsicError(
        `Fn::GetAtt ${logicalId}.${attribute}: the local cloud has no ${attribute} for ${this.resource(logicalId).Type}`,
      );
    }
    return attributes[attribute];
  }

  /** The physical name a resource gets when its template leaves the name to CloudFormation. */
  generatedName(logicalId: string, maxLength: number): string {
    const name = `${this.stackName}-${logicalId}`;
    if (name.length <= maxLength) return name;
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    return `${name.slice(0, maxLength - 9)}-${hash}`;
  }

  arn(service: string, resource: string, { region = this.region, account = this.accountId } = {}): string {
    return `arn:aws:${service}:${region}:${account}:${resource}`;
  }

  private identity(logicalId: string): ResourceIdentity {
    const known = this.identities.get(logicalId);
    if (known) return known;
    if (this.resolving.has(logicalId)) throw new IntrinsicError(`circular reference through ${logicalId}`);
    this.resolving.add(logicalId);
    try {
      const identity = this.computeIdentity(logicalId, this.resource(logicalId));
      this.identities.set(logicalId, identity);
      return identity;
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  /** A name property if the template sets one, else the generated name. */
  private nameOf(logicalId: string, resource: CfnResource, property: string, maxLength: number): string {
    const value = resource.Properties?.[property];
    return value === undefined ? this.generatedName(logicalId, maxLength) : this.resolveString(value, `${logicalId}.${property}`);
  }

  private computeIdentity(logicalId: string, resource: CfnResource): ResourceIdentity {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SQS::Queue': {
        let name = this.nameOf(logicalId, resource, 'QueueName', 80);
        if (props.FifoQueue === true && !name.endsWith('.fifo')) name = `${name.slice(0, 75)}.fifo`;
        const url = `${this.options.awsUrl}/${this.accountId}/${name}`;
        return { ref: url, attributes: { Arn: this.arn('sqs', name), QueueName: name, QueueUrl: url } };
      }
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = this.nameOf(logicalId, resource, 'TableName', 255);
        const arn = this.arn('dynamodb', `table/${name}`);
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local`, TableId: name } };
      }
      case 'AWS::Lambda::Function': {
        const name = this.nameOf(logicalId, resource, 'FunctionName', 64);
        return { ref: name, attributes: { Arn: this.arn('lambda', `function:${name}`) } };
      }
      case 'AWS::Lambda::Url': {
        const target = this.resolveString(props.TargetFunctionArn, `${logicalId}.TargetFunctionArn`);
        return { ref: target, attributes: { FunctionArn: target, FunctionUrl: this.options.functionUrl } };
      }
      case 'AWS::Events::EventBus': {
        const name = this.nameOf(logicalId, resource, 'Name', 256);
        return { ref: name, attributes: { Arn: this.arn('events', `event-bus/${name}`), Name: name } };
      }
      case 'AWS::Events::Rule': {
        const name = this.nameOf(logicalId, resource, 'Name', 64);
        const bus = this.busNameOf(props.EventBusName);
        const path = bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`;
        return { ref: name, attributes: { Arn: this.arn('events', path) } };
      }
      case 'AWS::Events::Archive': {
        const name = this.nameOf(logicalId, resource, 'ArchiveName', 48);
        return { ref: name, attributes: { Arn: this.arn('events', `archive/${name}`) } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = this.nameOf(logicalId, resource, 'StateMachineName', 80);
        const arn = this.arn('states', `stateMachine:${name}`);
        return { ref: arn, attributes: { Arn: arn, Name: name, StateMachineRevisionId: arn } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = this.nameOf(logicalId, resource, 'Name', 256);
        // Real secret ARNs end in a random six-character suffix; a stable one keeps restarts consistent.
        const suffix = createHash('sha256').update(name).digest('base64url').replace(/[-_]/g, 'x').slice(0, 6);
        const arn = this.arn('secretsmanager', `secret:${name}-${suffix}`);
        return { ref: arn, attributes: { Id: arn } };
      }
      case 'AWS::KMS::Key': {
        // A key's id is a UUID; derived from the logical id so that restarts find the same key (and its data).
        const hex = createHash('sha256').update(`${this.stackName}/${logicalId}`).digest('hex');
        const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
        return { ref: keyId, attributes: { Arn: this.arn('kms', `key/${keyId}`), KeyId: keyId } };
      }
      case 'AWS::IAM::Role': {
        const name = this.nameOf(logicalId, resource, 'RoleName', 64);
        return { ref: name, attributes: { Arn: this.arn('iam', `role/${name}`, { region: '' }), RoleId: `AROA${logicalId.slice(0, 16).toUpperCase()}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = this.nameOf(logicalId, resource, 'LogGroupName', 512);
        return { ref: name, attributes: { Arn: this.arn('logs', `log-group:${name}:*`) } };
      }
      case 'AWS::SNS::Topic': {
        const name = this.nameOf(logicalId, resource, 'TopicName', 256);
        const arn = this.arn('sns', name);
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::ApiGatewayV2::Api': {
        const apiId = createHash('sha256').update(logicalId).digest('hex').slice(0, 10);
        return { ref: apiId, attributes: { ApiId: apiId, ApiEndpoint: this.options.apiUrl } };
      }
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Authorizer':
      case 'AWS::ApiGatewayV2::Route':
      case 'AWS::ApiGatewayV2::Stage':
        // Route targets and authorizer ids point back at these by their Ref: the logical id keeps that lookup direct.
        return { ref: logicalId, attributes: {} };
      default: {
        const name = this.generatedName(logicalId, 64);
        return { ref: name, attributes: { Arn: this.arn('local', name) } };
      }
    }
  }

  /** The bus a rule or target names: a name, an ARN, or nothing for the default bus. */
  busNameOf(value: unknown): string {
    if (value === undefined) return 'default';
    const resolved = this.resolveString(value, 'EventBusName');
    return resolved.startsWith('arn:') ? resolved.slice(resolved.lastIndexOf('/') + 1) : resolved;
  }
}
