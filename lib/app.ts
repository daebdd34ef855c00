// CDK entry (`cdk.json`: `npx tsx lib/app.ts`): one stack per environment, BcAgent-dev, BcAgent-staging and
// BcAgent-prod, in the account and region of the CLI's default environment. Per-stage overrides of
// lib/config.ts come from the context key `bc-agent:<stage>` (cdk.json or `-c`), e.g.
//   "bc-agent:prod": { "jwt": { "issuer": "https://login.example.com/", "audience": ["bc-agent"] },
//                      "bc": { "tenant": "<entra-tenant-id>", "environment": "production" } }
// cdk-nag's AwsSolutions checks run on every synthesis; a finding fails `cdk synth`.
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFor, isStage, STAGES, type ConfigOverrides, type Stage } from './config.js';
import { BcAgentStack } from './stack.js';

export function stackName(stage: Stage): string {
  return `BcAgent-${stage}`;
}

/** The stages listed in the `environments` context (all three by default); an unknown one is an error. */
export function stagesOf(app: App): Stage[] {
  const listed: unknown = app.node.tryGetContext('environments') ?? STAGES;
  if (!Array.isArray(listed)) throw new Error(`Context 'environments' must be an array of ${STAGES.join(', ')}`);
  return listed.map((stage) => {
    if (!isStage(stage)) throw new Error(`Context 'environments' lists unknown stage '${String(stage)}'`);
    return stage;
  });
}

export function overridesOf(app: App, stage: Stage): ConfigOverrides {
  const raw: unknown = app.node.tryGetContext(`bc-agent:${stage}`);
  if (raw === undefined) return {};
  // `-c key=value` passes strings; cdk.json passes objects.
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Context 'bc-agent:${stage}' must be an object of configuration overrides`);
  }
  return value as ConfigOverrides;
}

export function buildApp(app: App = new App()): App {
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  for (const stage of stagesOf(app)) {
    new BcAgentStack(app, stackName(stage), {
      config: configFor(stage, overridesOf(app, stage)),
      env,
      description: `bc-claude-agent (${stage}): Claude agent in front of Business Central`,
      tags: { application: 'bc-claude-agent', stage },
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return app;
}

// Synthesize only when run as the CDK entry, not when a test imports buildApp.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildApp().synth();
}
