// Reading a Lambda's configuration from its environment (docs/internals.md): one set of helpers, so every
// handler fails its cold start the same way, naming the variable, rather than running half-configured.
export type Env = Record<string, string | undefined>;

export function requiredEnv(name: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function optionalEnv(name: string, env: Env = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function positiveIntEnv(name: string, fallback: number, env: Env = process.env): number {
  const text = optionalEnv(name, env);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got '${text}'`);
  return value;
}
