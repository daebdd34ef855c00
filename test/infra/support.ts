// Shared by the infrastructure tests: synthesizes the CDK app (all three stages, with cdk.json's context) once
// per test file and hands out the stacks and their templates. Two things are slow and optional: bundling
// (`bundle: true` bundles the dev stack only, esbuild once per handler; the other stages' templates differ
// only in asset hashes) and CDK's built-in CloudFormation schema validation (`validateTemplates: true`; with
// cdk.json's `@aws-cdk/core:validateAgainstDefaultRules` a finding fails synthesis).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, stackName } from '../../lib/app.js';
import { STAGES, type ConfigOverrides, type Stage } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/constructs/handler-function.js';
import type { BcAgentStack } from '../../lib/stack.js';

export interface SynthesizedApp {
  app: App;
  outdir: string;
  stacks: Record<Stage, BcAgentStack>;
  templates: Record<Stage, Template>;
  /** Removes the cloud assembly; call from afterAll. */
  cleanup(): void;
}

export interface SynthesisOptions {
  bundle: boolean;
  validateTemplates: boolean;
  /** Configuration overrides per stage, as the `bc-agent:<stage>` context gives them (e.g. saga.reservations). */
  overrides?: Partial<Record<Stage, ConfigOverrides>>;
}

const cache = new Map<string, SynthesizedApp>();
const cdkJsonContext = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export function synthesizeApp(options: SynthesisOptions): SynthesizedApp {
  const key = JSON.stringify(options);
  const cached = cache.get(key);
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), 'bc-agent-infra-'));
  const app = buildApp(
    new App({
      outdir,
      builtinCloudFormationValidation: options.validateTemplates,
      context: {
        ...cdkJsonContext,
        environments: [...STAGES],
        ...Object.fromEntries(Object.entries(options.overrides ?? {}).map(([stage, overrides]) => [`bc-agent:${stage}`, overrides])),
        'aws:cdk:bundling-stacks': options.bundle ? [stackName('dev')] : [],
      },
    }),
  );
  const stacks = Object.fromEntries(
    STAGES.map((stage) => [stage, app.node.findChild(stackName(stage)) as BcAgentStack]),
  ) as Record<Stage, BcAgentStack>;
  const templates = Object.fromEntries(
    STAGES.map((stage) => [stage, Template.fromStack(stacks[stage])]),
  ) as Record<Stage, Template>;
  const synthesized: SynthesizedApp = {
    app,
    outdir,
    stacks,
    templates,
    cleanup: () => {
      cache.delete(key);
      rmSync(outdir, { recursive: true, force: true });
    },
  };
  cache.set(key, synthesized);
  return synthesized;
}

// --- Reading templates -------------------------------------------------------------------------------------

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export function resourcesOf(template: Template, type?: string): Record<string, CfnResource> {
  const all = template.toJSON().Resources as Record<string, CfnResource>;
  if (!type) return all;
  return Object.fromEntries(Object.entries(all).filter(([, resource]) => resource.Type === type));
}

/** The logical id an intrinsic (`Ref`, `Fn::GetAtt`) points at, or undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0] as string;
  return undefined;
}

/** Every logical id referenced anywhere inside `value`. */
export function referencedIds(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    const id = referencedId(node);
    if (id) found.push(id);
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(walk);
  };
  walk(value);
  return found;
}

/** The logical id of an L2 construct's CloudFormation resource (its default child). */
export function logicalIdOf(stack: BcAgentStack, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (!child) throw new Error('Construct has no default CloudFormation resource');
  return stack.getLogicalId(child as never);
}

/**
 * Renders a `Fn::Join` definition string with every intrinsic replaced by a plausible literal:
 * `Fn::GetAtt [X, Arn]` → a Lambda-style ARN naming X, `Ref X` → X (`aws` for the partition).
 */
export function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`Not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as Record<string, any>;
      if (p.Ref === 'AWS::Partition') return 'aws';
      if (p.Ref === 'AWS::Region') return 'us-east-1';
      if (p.Ref === 'AWS::AccountId') return '123456789012';
      if (typeof p.Ref === 'string') return p.Ref;
      if (Array.isArray(p['Fn::GetAtt'])) return `arn:aws:lambda:us-east-1:123456789012:function:${p['Fn::GetAtt'][0]}`;
      throw new Error(`Unexpected intrinsic in definition: ${JSON.stringify(part)}`);
    })
    .join('');
}
