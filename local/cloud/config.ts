// Where the local cloud listens and keeps its state, from the environment of `npm start` (architecture §10).
import { resolve } from 'node:path';

export interface LocalPorts {
  /** The HTTP API (payload 2.0). */
  api: number;
  /** The AWS-compatible endpoint (DynamoDB, SQS, EventBridge, Step Functions, Secrets Manager). */
  aws: number;
  /** The Business Central sandbox. */
  bc: number;
  /** The MCP server's function URL. */
  mcp: number;
  /** The WebSocket API and its connection management API. */
  websocket: number;
}

export const DEFAULT_PORTS: Readonly<LocalPorts> = { api: 3000, aws: 4566, bc: 4580, mcp: 4590, websocket: 3001 };
export const DEFAULT_STATE_DIR = '.local';

/** Region, account and credentials every local resource and function uses. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local-secret-key' } as const;

export interface LocalSettings {
  ports: LocalPorts;
  stateDir: string;
}

/** Reads LOCAL_API_PORT, LOCAL_AWS_PORT, LOCAL_BC_PORT, LOCAL_MCP_PORT, LOCAL_WEBSOCKET_PORT and LOCAL_STATE_DIR; bad values throw. */
export function localSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  return {
    ports: {
      api: portFrom(env, 'LOCAL_API_PORT', DEFAULT_PORTS.api),
      aws: portFrom(env, 'LOCAL_AWS_PORT', DEFAULT_PORTS.aws),
      bc: portFrom(env, 'LOCAL_BC_PORT', DEFAULT_PORTS.bc),
      mcp: portFrom(env, 'LOCAL_MCP_PORT', DEFAULT_PORTS.mcp),
      websocket: portFrom(env, 'LOCAL_WEBSOCKET_PORT', DEFAULT_PORTS.websocket),
    },
    stateDir: resolve(env.LOCAL_STATE_DIR?.trim() || DEFAULT_STATE_DIR),
  };
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number between 0 and 65535, got "${raw}"`);
  }
  return port;
}
