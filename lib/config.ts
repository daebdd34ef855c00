// Per-environment settings of the deployed system: everything that differs between dev, staging and prod
// lives here, so the constructs stay free of stage conditionals. `configFor` merges overrides (from cdk.json
// context or a test) over the stage defaults and validates the result, so a bad value fails synthesis with
// a message that names the setting instead of producing a broken stack.
import { z } from 'zod';
import { isEntitySet } from '../functions/core/bc/index.js';
import { defaultClaims, isEntraIssuer, type ClaimMapping, type IdentityProvider } from '../functions/core/http/index.js';
import { DEFAULT_SUBSCRIBER_CACHE_SECONDS, MAX_SUBSCRIBER_CACHE_SECONDS } from '../functions/core/push/index.js';

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const WORKER_TYPES = ['query', 'write', 'analysis', 'validation'] as const;
export type WorkerType = (typeof WORKER_TYPES)[number];

/** The issuer the local cloud's `npm run token` signs as; the default until a stage names its identity provider. */
export const LOCAL_JWT_ISSUER = 'https://bc-agent.local/';

/** SQS receives per message before it moves to the DLQ: the design's "3 attempts, then the DLQ". */
export const MAX_RECEIVE_COUNT = 3;
/** The visibility timeout of a worker queue is at least this multiple of the worker's timeout (AWS guidance). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

const positiveInt = z.number().int().positive();

const workerSchema = z.object({
  timeoutSeconds: positiveInt.max(900),
  memoryMb: z.number().int().min(128).max(10_240),
  /** Messages per invocation (SQS allows up to 10 without a batching window). */
  batchSize: positiveInt.max(10),
  maxBatchingWindowSeconds: z.number().int().min(0).max(300),
  /** Concurrent invocations the normal lane may drive (SQS event sources accept 2..1000). */
  maxConcurrency: z.number().int().min(2).max(1000),
  /** The high lane's own cap, so high-priority tasks never wait behind the normal lane's pollers. */
  highMaxConcurrency: z.number().int().min(2).max(1000),
});

const environmentSchema = z.object({
  stage: z.enum(STAGES),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  api: z.object({
    throttle: z.object({ rateLimit: positiveInt, burstLimit: positiveInt }),
    /** Lambda timeout of the orchestrator; API Gateway answers 503 after 30 s anyway. */
    timeoutSeconds: positiveInt.max(29),
    /** Browser origins of the chat front-end allowed by CORS; empty means no CORS (same-origin or server-side). */
    corsAllowOrigins: z.array(z.url()),
  }),
  jwt: z.object({
    issuer: z.url({ protocol: /^https$/, error: 'jwt.issuer must be an https URL (API Gateway discovers its keys)' }),
    audience: z.array(z.string().min(1)).min(1),
    /** Who issues the tokens; unset: `entra` for an Entra ID issuer (login.microsoftonline.com), else `generic`. */
    provider: z.enum(['entra', 'generic']).optional(),
    /**
     * The web console's OIDC client at the issuer (a public client: authorization code + PKCE, redirect URI the
     * console's URL) and the scope whose access token the API accepts, e.g. `openid api://bc-agent/access`.
     * Unset: the console takes a pasted token.
     */
    console: z.object({ clientId: z.string().min(1), scope: z.string().regex(/(^| )openid( |$)/, 'jwt.console.scope must include openid').optional() }).optional(),
    /**
     * Which claims carry the tenant, subject and roles; each unset one follows the provider (Entra: `tid`, `oid`,
     * `roles`; generic, the local token command: `tenant`, `sub`, `roles`).
     */
    claims: z
      .object({
        tenant: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/),
        subject: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/),
        roles: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/),
      })
      .partial()
      .optional(),
  }),
  bc: z.object({
    baseUrl: z.url(),
    tenant: z.string().min(1),
    environment: z.string().min(1),
    companyId: z.string().min(1).optional(),
    /** OAuth2 token endpoint; unset means Entra ID's endpoint for the tenant. */
    tokenUrl: z.url().optional(),
    /**
     * Location of purchase-order lines that name none (the saga reserves inventory there); unset, a company
     * with one location uses it and a line in a company with several must name one.
     */
    defaultLocationCode: z.string().min(1).max(10).optional(),
    /** The BC web client the plan view links records to (`<url>/<tenant>/<environment>/?company=…&page=…`). */
    webClientUrl: z.url(),
    /** The company's name in the web client's links; unset, a link opens the user's current company. */
    companyName: z.string().min(1).max(30).optional(),
    /**
     * Entity sets the MCP write tools may change; ['*'] for all, [] for none. Checked against the BC entity
     * catalogue here so that a typo fails synthesis instead of the MCP server's start.
     */
    writableEntitySets: z.array(
      z.string().refine((name) => name === '*' || isEntitySet(name), { message: 'must be * or an entity set of the BC catalogue' }),
    ),
    /**
     * Whose rights BC applies (BC_ACCESS): `app`, every call acts as the app registration (client credentials);
     * `delegated`, every call of a plan acts as the person who sent the message (on-behalf-of, README "Per-user
     * BC access"), so BC's permission sets and change log apply to them.
     */
    access: z.enum(['app', 'delegated']),
    /** How long a person's sealed delegated grant is kept after their message; must outlast approvals.ttlMinutes. */
    delegationTtlHours: positiveInt,
  }),
  claude: z.object({
    model: z.string().min(1),
    /** An existing Secrets Manager secret holding the Anthropic key; unset means the offline planner. */
    secretArn: z.string().startsWith('arn:').optional(),
  }),
  breaker: z.object({ threshold: positiveInt, windowSeconds: positiveInt, openSeconds: positiveInt }),
  approvals: z.object({
    ttlMinutes: positiveInt,
    /** Operations (`<method>:<entitySet>`, e.g. `POST:customers`) approved without a person. */
    autoApprove: z.array(z.string().regex(/^(POST|PATCH|DELETE|BATCH):[A-Za-z*][A-Za-z0-9]*$/)),
    allowSelfApproval: z.boolean(),
  }),
  limits: z.object({ bodyBytes: positiveInt, textChars: positiveInt, tasksPerPlan: positiveInt }),
  workers: z.object({
    query: workerSchema,
    write: workerSchema,
    analysis: workerSchema,
    validation: workerSchema,
  }),
  consumers: z.object({
    timeoutSeconds: positiveInt.max(900),
    /** EventBridge delivery retries to a consumer, and Lambda's own async retries (0..2). */
    retryAttempts: z.number().int().min(0).max(185),
    asyncRetryAttempts: z.number().int().min(0).max(2),
    maxEventAgeSeconds: z.number().int().min(60).max(86_400),
  }),
  /**
   * The plan sweeper (functions/core/sweeper): how often it runs and when a task counts as stalled. A task
   * `running` with no progress for runningSeconds is taken for lost, so it must exceed any worker's timeout
   * (checked below).
   */
  sweeper: z.object({
    periodMinutes: positiveInt.max(60),
    dispatchedSeconds: positiveInt,
    runningSeconds: positiveInt,
    settleSeconds: positiveInt,
    maxRedispatches: positiveInt.max(10),
    maxPlansPerRun: positiveInt.max(1_000),
  }),
  /**
   * The purchase-order saga's shape. `reservations`: the ReserveInventory step (and its compensation) that
   * needs the itemReservations API of the extension in bc-extension/; off (the default), the saga creates the
   * order and its lines only, as a standard tenant allows.
   */
  saga: z.object({ reservations: z.boolean() }),
  /**
   * The BC capacity governor (functions/core/capacity) in every function that calls BC: BC's published limits for
   * the stage's environment and identity, the share of them it hands out, and the share only high-priority work
   * may use. Finer settings (batches, leases, AIMD) keep their defaults unless set as BC_GOVERNOR_* variables.
   */
  bcCapacity: z.object({
    enabled: z.boolean(),
    ratePerMinute: positiveInt,
    concurrency: positiveInt,
    safetyMargin: z.number().gt(0).max(1),
    highReserve: z.number().min(0).lt(1),
  }),
  sagaStepTimeoutSeconds: positiveInt.max(900),
  mcpServerTimeoutSeconds: positiveInt.max(900),
  /**
   * Live progress (functions/core/push). `subscriberCacheSeconds`: how long the notifier remembers who watches a
   * session (one lookup per session per window instead of one per pushed event; 0: no cache); a new subscriber
   * is told when pushes are sure to reach it (`liveFrom`, this window + 1 s) and reads the plan then.
   */
  push: z.object({ subscriberCacheSeconds: z.number().int().min(0).max(MAX_SUBSCRIBER_CACHE_SECONDS) }),
  retention: z.object({
    logDays: positiveInt,
    archiveDays: positiveInt,
    /** How long an audit record lives before DynamoDB's TTL removes it. */
    auditDays: positiveInt,
    /** How long a message stays in a DLQ (SQS allows at most 14 days). */
    dlqDays: positiveInt.max(14),
    pointInTimeRecovery: z.boolean(),
    /** What happens to tables, log groups and the archive when the stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']),
  }),
  alarms: z.object({
    enabled: z.boolean(),
    /** Messages visible in any DLQ at which the alarm fires. */
    dlqDepthThreshold: positiveInt,
    /** Lambda errors per period at which a function's alarm fires. */
    lambdaErrorsThreshold: positiveInt,
    periodMinutes: positiveInt,
    evaluationPeriods: positiveInt,
    /** Existing SNS topic notified on alarm and OK. */
    actionTopicArn: z.string().startsWith('arn:').optional(),
  }),
});

export type WorkerSettings = z.infer<typeof workerSchema>;

/** The identity provider of a stage's tokens: as configured, else inferred from the issuer. */
export function identityProviderOf(jwt: { issuer: string; provider?: IdentityProvider | undefined }): IdentityProvider {
  return jwt.provider ?? (isEntraIssuer(jwt.issuer) ? 'entra' : 'generic');
}

/** The claim mapping of a stage (one definition: the API passes it to the orchestrator, the token command shapes tokens by it). */
export function claimMappingOf(jwt: EnvironmentConfig['jwt']): ClaimMapping {
  return { ...defaultClaims(identityProviderOf(jwt)), ...Object.fromEntries(Object.entries(jwt.claims ?? {}).filter(([, v]) => v !== undefined)) };
}
export type EnvironmentConfig = z.infer<typeof environmentSchema>;

/** A partial EnvironmentConfig at any depth; arrays replace, objects merge. */
export type ConfigOverrides = { [K in keyof EnvironmentConfig]?: DeepPartial<EnvironmentConfig[K]> };
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const worker = (w: Partial<WorkerSettings> & Pick<WorkerSettings, 'timeoutSeconds'>): WorkerSettings => ({
  memoryMb: 512,
  batchSize: 5,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 5,
  highMaxConcurrency: 2,
  ...w,
});

function defaults(stage: Stage): EnvironmentConfig {
  const prod = stage === 'prod';
  const scale = prod ? 4 : stage === 'staging' ? 2 : 1;
  return {
    stage,
    logLevel: prod ? 'INFO' : 'DEBUG',
    api: { throttle: { rateLimit: 25 * scale, burstLimit: 50 * scale }, timeoutSeconds: 29, corsAllowOrigins: [] },
    // The issuer and audience of the identity provider; set them per stage in cdk.json context
    // (`bc-agent:<stage>`). The default is the issuer the local cloud's `npm run token` signs as.
    jwt: { issuer: LOCAL_JWT_ISSUER, audience: ['bc-agent'] },
    bc: {
      baseUrl: 'https://api.businesscentral.dynamics.com',
      tenant: 'common',
      environment: prod ? 'production' : 'sandbox',
      webClientUrl: 'https://businesscentral.dynamics.com',
      writableEntitySets: ['customers', 'vendors', 'items', 'salesOrders', 'salesOrderLines', 'purchaseOrders',
        'purchaseOrderLines'],
      // Real stages act as the person; dev stays app-only so any `npm run token` subject works against the local
      // sandbox (whose directory knows alice, bob and carol) — `BC_ACCESS=delegated npm start` tries per-user access.
      access: stage === 'dev' ? 'app' : 'delegated',
      delegationTtlHours: 24,
    },
    claude: { model: 'claude-sonnet-4-5' },
    breaker: { threshold: 5, windowSeconds: 60, openSeconds: 60 },
    approvals: { ttlMinutes: 15, autoApprove: [], allowSelfApproval: false },
    limits: { bodyBytes: 16_384, textChars: 4_000, tasksPerPlan: 20 },
    // Workers that call BC take one task per invocation, so a lane's maxConcurrency is its number of BC calls in
    // flight: the normal lane never holds more than that many tasks ahead of a high-priority one (BC online
    // itself serves 5 concurrent requests per user and queues the rest).
    workers: {
      query: worker({ timeoutSeconds: 60, batchSize: 1, maxConcurrency: 5 * scale, highMaxConcurrency: 2 * scale }),
      write: worker({ timeoutSeconds: 60, batchSize: 1, maxConcurrency: 2 * scale, highMaxConcurrency: 2 }),
      analysis: worker({ timeoutSeconds: 120, memoryMb: 1024, batchSize: 1, maxConcurrency: 3 * scale, highMaxConcurrency: 2 }),
      validation: worker({ timeoutSeconds: 30, maxConcurrency: 3 * scale, highMaxConcurrency: 2 }),
    },
    consumers: { timeoutSeconds: 30, retryAttempts: 10, asyncRetryAttempts: 2, maxEventAgeSeconds: 3_600 },
    sweeper: { periodMinutes: 1, dispatchedSeconds: 300, runningSeconds: 900, settleSeconds: 60, maxRedispatches: 2, maxPlansPerRun: 200 },
    saga: { reservations: false },
    // BC online: 6,000 requests per 5 minutes per principal, 5 processed at once per environment. Off in dev, so
    // the local cloud behaves as before unless `BC_GOVERNOR=on npm start`.
    bcCapacity: { enabled: stage !== 'dev', ratePerMinute: 1_200, concurrency: 5, safetyMargin: 0.9, highReserve: 0.2 },
    sagaStepTimeoutSeconds: 30,
    mcpServerTimeoutSeconds: 60,
    push: { subscriberCacheSeconds: DEFAULT_SUBSCRIBER_CACHE_SECONDS },
    retention: {
      logDays: prod ? 90 : stage === 'staging' ? 30 : 7,
      archiveDays: prod ? 90 : 7,
      auditDays: prod ? 365 : stage === 'staging' ? 90 : 30,
      dlqDays: 14,
      pointInTimeRecovery: stage !== 'dev',
      removalPolicy: stage === 'dev' ? 'destroy' : 'retain',
    },
    alarms: {
      enabled: true,
      dlqDepthThreshold: 1,
      lambdaErrorsThreshold: prod ? 1 : 5,
      periodMinutes: 5,
      evaluationPeriods: 1,
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/**
 * The configuration of one stage: the defaults above with `overrides` merged in, validated.
 * Throws an Error naming every invalid setting.
 */
export function configFor(stage: Stage, overrides: ConfigOverrides = {}): EnvironmentConfig {
  if (!isStage(stage)) throw new Error(`Unknown stage '${String(stage)}': expected one of ${STAGES.join(', ')}`);
  if (overrides.stage !== undefined && overrides.stage !== stage) {
    throw new Error(`Overrides for stage '${stage}' may not change the stage to '${overrides.stage}'`);
  }
  const merged = deepMerge(defaults(stage) as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  const parsed = environmentSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid configuration for stage '${stage}':\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  // Four eyes in production is not a setting: an approval there always needs a person other than the requester.
  if (stage === 'prod' && config.approvals.autoApprove.length > 0) {
    throw new Error(`Invalid configuration for stage 'prod': approvals.autoApprove must be empty in prod`);
  }
  if (stage === 'prod' && config.approvals.allowSelfApproval) {
    throw new Error(`Invalid configuration for stage 'prod': approvals.allowSelfApproval must be false in prod`);
  }
  if (config.bc.delegationTtlHours * 60 <= config.approvals.ttlMinutes) {
    throw new Error(`Invalid configuration for stage '${stage}': bc.delegationTtlHours (${config.bc.delegationTtlHours} h) must outlast approvals.ttlMinutes (${config.approvals.ttlMinutes} min), or an approved write finds its requester's BC grant gone`);
  }
  const longestWorker = Math.max(...Object.values(config.workers).map((w) => w.timeoutSeconds));
  if (config.sweeper.runningSeconds < 2 * longestWorker) {
    throw new Error(
      `Invalid configuration for stage '${stage}': sweeper.runningSeconds (${config.sweeper.runningSeconds}) must be at least twice the longest worker timeout (${longestWorker} s), or the sweeper fails tasks that are still running`,
    );
  }
  return config;
}
