// Per-user BC access in the templates (lib/constructs/bc-delegation.ts): a rotating KMS key and a TTL table in
// every stage; BC_ACCESS per stage (dev app-only, staging and prod delegated); the orchestrator may only seal and
// store (GenerateDataKey, PutItem), the workers that reach BC only read and open (GetItem, Decrypt), and no other
// function touches either. A delegation TTL shorter than an approval's wait fails the configuration.
import { afterAll, describe, expect, it } from 'vitest';
import { Stack } from 'aws-cdk-lib';
import { configFor } from '../../lib/config.js';
import { synthesizeApp } from './support.js';

const synthesized = synthesizeApp({ bundle: false, validateTemplates: false });
afterAll(() => synthesized.cleanup());

const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown) =>
  stack.getLogicalId(((construct as { node: { defaultChild?: unknown } }).node.defaultChild ?? construct) as never);

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return [record.Ref];
    if (Array.isArray(record['Fn::GetAtt'])) return [String(record['Fn::GetAtt'][0])];
    return Object.values(record).flatMap(refsIn);
  }
  return [];
}

describe('per-user BC access in the templates', () => {
  for (const stage of ['dev', 'staging', 'prod'] as const) {
    it(`${stage}: key, table, BC_ACCESS and least-privilege grants`, () => {
      const stack = synthesized.stacks[stage];
      const template = synthesized.templates[stage];
      const keyId = idOf(stack, stack.bcDelegation.key);
      const tableId = idOf(stack, stack.bcDelegation.table);
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true }, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });

      const functions = template.findResources('AWS::Lambda::Function');
      const envOf = (role: unknown) => {
        const roleId = idOf(stack, role);
        const fn = Object.values(functions).find((f) => refsIn(f.Properties.Role).includes(roleId));
        return fn!.Properties.Environment.Variables as Record<string, unknown>;
      };
      const access = stage === 'dev' ? 'app' : 'delegated';
      for (const role of [stack.orchestrator.role, stack.workers.query.handler.role, stack.workers.write.handler.role, stack.saga.steps.role]) {
        const env = envOf(role);
        expect(env).toMatchObject({ BC_ACCESS: access, BC_DELEGATION_TTL_SECONDS: '86400' });
        expect(refsIn(env.BC_DELEGATION_KEY_ID)).toEqual([keyId]);
        expect(refsIn(env.BC_DELEGATION_TABLE)).toEqual([tableId]);
      }
      expect(envOf(stack.mcpServer.handler.role).BC_ACCESS).toBe(access);

      // Which role may do what with the key and the table.
      const allowed: Record<string, string[]> = {
        [idOf(stack, stack.orchestrator.role)]: ['dynamodb:PutItem', 'kms:GenerateDataKey'],
        [idOf(stack, stack.workers.query.handler.role)]: ['dynamodb:GetItem', 'kms:Decrypt'],
        [idOf(stack, stack.workers.write.handler.role)]: ['dynamodb:GetItem', 'kms:Decrypt'],
        // The purchase-order saga's steps write as the requester too.
        [idOf(stack, stack.saga.steps.role)]: ['dynamodb:GetItem', 'kms:Decrypt'],
      };
      const seen: Record<string, string[]> = {};
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        const role = refsIn(policy.Properties.Roles)[0]!;
        for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
          const refs = refsIn(statement.Resource);
          if (!refs.includes(keyId) && !refs.includes(tableId)) continue;
          expect(Object.keys(allowed), `a policy of ${role} names the delegation key or table`).toContain(role);
          (seen[role] ??= []).push(...[statement.Action].flat());
        }
      }
      for (const [role, actions] of Object.entries(allowed)) expect([...new Set(seen[role])].sort(), role).toEqual(actions);
    });
  }

  it('refuses a delegation TTL that an approval could outwait', () => {
    expect(() => configFor('staging', { approvals: { ttlMinutes: 120 } as never, bc: { delegationTtlHours: 2 } as never })).toThrow(/delegationTtlHours \(2 h\) must outlast approvals.ttlMinutes \(120 min\)/);
    expect(configFor('prod').bc.access).toBe('delegated');
    expect(configFor('dev').bc.access).toBe('app');
  });
});
