// The local cloud's public surface: what `npm start`, the bench, the chaos campaign and the operator scripts use
// to synthesize the dev stack, run it, and talk to it. Its parts (template, lambda, http-api) stay internal.
export { startLocalCloud, type LocalCloud, type LocalCloudOptions } from './cloud.js';
export { DEFAULT_PORTS, LOCAL_CREDENTIALS, LOCAL_REGION, localSettingsFromEnv } from './config.js';
export { serveFunctionUrl, type FunctionUrlServer } from './function-url.js';
export { FunctionRunner, type InvocationStats } from './lambda/function-runner.js';
export { loadOrCreateJwtKeys, signLocalToken, type LocalTokenRequest } from './jwt.js';
export { shortFunctionName, waitUntilAnswering } from './start.js';
export { DEV_STACK_NAME, PROJECT_ROOT, readAssembly, synthesizeDevStack } from './synth.js';
export type { CfnTemplate } from './template/types.js';
export { devJwtConfig } from './token.js';
