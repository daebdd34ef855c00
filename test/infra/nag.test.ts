// cdk-nag's AwsSolutions pack over every stage: no unacknowledged finding, and every acknowledgement says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, stackName } from '../../lib/app.js';
import { STAGES } from '../../lib/config.js';
import { synthesizeApp, type SynthesizedApp } from './support.js';

let synthesized: SynthesizedApp;
beforeAll(() => {
  // cdk-nag reads the construct tree; bundled code plays no part.
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false });
});
afterAll(() => synthesized?.cleanup());

function acknowledgementsUnder(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([key, reason]) => ({
          path: construct.node.path,
          // CDK stores acknowledgements of plugin findings under an `Annotation::` prefix.
          id: key.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each(STAGES)('cdk-nag AwsSolutions on BcAgent-%s', (stage) => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.stacks[stage]);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only specific findings, each with a reason', () => {
    const acknowledgements = acknowledgementsUnder(synthesized.stacks[stage]);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgements) {
      expect(id, path).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      // IAM5 (wildcards) is only ever acknowledged for one named finding, never for the rule as a whole.
      if (id.startsWith('AwsSolutions-IAM5')) expect(id, path).toMatch(/^AwsSolutions-IAM5\[Resource::/);
      expect(typeof reason === 'string' && reason.length >= 30, `${path} ${id}: reason too short`).toBe(true);
    }
    // The managed basic execution role is avoided altogether rather than acknowledged.
    expect(acknowledgements.some(({ id }) => id.startsWith('AwsSolutions-IAM4'))).toBe(false);
  });
});

describe('the CDK app', () => {
  it('fails synthesis on a cdk-nag finding (the checks run as a validation plugin)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'bc-agent-nag-'));
    try {
      const app = buildApp(
        new App({ outdir, builtinCloudFormationValidation: false, context: { environments: ['dev'], 'aws:cdk:bundling-stacks': [] } }),
      );
      // A queue without a DLQ, encryption or TLS enforcement: what the checks exist to catch.
      new CfnQueue(app.node.findChild(stackName('dev')), 'UncheckedQueue');
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
