// The parts of a CloudFormation template the local cloud reads.

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnParameter {
  Type: string;
  Default?: unknown;
}

export interface CfnTemplate {
  Parameters?: Record<string, CfnParameter>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** Parses and shape-checks a template, so a broken synth fails with a message instead of deep in resolution. */
export function parseTemplate(json: string, source = 'template'): CfnTemplate {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(value) || !isRecord(value.Resources)) throw new Error(`${source} has no Resources section`);
  for (const [logicalId, resource] of Object.entries(value.Resources)) {
    if (!isRecord(resource) || typeof resource.Type !== 'string') {
      throw new Error(`${source}: resource ${logicalId} has no Type`);
    }
  }
  return value as unknown as CfnTemplate;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
