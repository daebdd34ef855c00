// The shapes that travel through the purchase-order saga: the execution input the write worker starts it
// with, and each step's result as later steps read it back from `$.results`. Everything a step reads is
// parsed here, so a state machine that passes the wrong thing fails with a clear SagaInputInvalid.
import * as z from 'zod';
import { idSchema } from '../events/index.js';
import { invalidInput } from './errors.js';

/** Every `step` the state machine sends (lib/constructs/purchase-order-saga.ts SAGA_STEPS; a test keeps them equal). */
export const SAGA_STEPS = [
  'validate', 'requestApproval', 'createOrder', 'addLine', 'reserveInventory',
  'releaseReservations', 'deleteLines', 'deleteOrder', 'parkCompensation', 'summarizeRollback', 'reportSucceeded', 'reportFailed',
] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

/** The compensations in the order they run (reverse of the forward steps). */
export const COMPENSATION_ORDER = ['releaseReservations', 'deleteLines', 'deleteOrder'] as const;

/** The order as the plan's saga_purchase_order task gives it, `$ref`s resolved (core/plan/tools.ts). */
export const orderLineSchema = z.strictObject({
  itemNumber: z.string().trim().min(1).max(20),
  quantity: z.number().positive().max(1_000_000),
  locationCode: z.string().trim().min(1).max(10).optional(),
});
export const purchaseOrderSchema = z.strictObject({
  vendorNumber: z.string().trim().min(1).max(20),
  lines: z.array(orderLineSchema).min(1).max(100),
  company: z.string().min(1).max(64).optional(),
});
export type PurchaseOrderRequest = z.infer<typeof purchaseOrderSchema>;
export type OrderLineRequest = z.infer<typeof orderLineSchema>;

/** Where the saga sits in a message's story; every step gets it (the Map's item selector copies it too). */
export const sagaContextSchema = z.object({
  tenantId: idSchema,
  sessionId: idSchema,
  planId: idSchema,
  taskId: idSchema,
  correlationId: z.string().min(1).max(128),
});
export type SagaContext = z.infer<typeof sagaContextSchema>;

const guid = z.guid();

export const validatedLineSchema = z.object({
  lineIndex: z.number().int().nonnegative(),
  /** BC line sequence, fixed by the line's position so a retried addLine finds its line. */
  sequence: z.number().int().positive(),
  itemId: guid,
  itemNumber: z.string(),
  quantity: z.number().positive(),
  locationId: guid,
  locationCode: z.string(),
});
export type ValidatedLine = z.infer<typeof validatedLineSchema>;

/** `$.results.validate` */
export const validatedOrderSchema = z.object({
  companyId: guid,
  vendor: z.object({ id: guid, number: z.string(), displayName: z.string() }),
  lines: z.array(validatedLineSchema).min(1),
  /** sha256 of the exact order: the approval binds to it. */
  operationHash: z.string().regex(/^[0-9a-f]{64}$/),
  summary: z.string(),
});
export type ValidatedOrder = z.infer<typeof validatedOrderSchema>;

/** `$.results.approval`: what the approvals side sends with SendTaskSuccess once a person granted it. */
export const approvalDecisionSchema = z.object({
  approvalId: idSchema,
  status: z.string(),
  operationHash: z.string(),
  decidedBy: z.string().optional(),
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

/** `$.results.createOrder`, also the `order` every addLine gets. */
export const createdOrderSchema = z.object({
  companyId: guid,
  orderId: guid,
  orderNumber: z.string(),
  orderKey: z.string(),
  lines: z.array(validatedLineSchema).min(1),
});
export type CreatedOrder = z.infer<typeof createdOrderSchema>;

export const addedLineSchema = z.object({ lineId: guid, sequence: z.number().int(), itemId: guid, quantity: z.number() });
export type AddedLine = z.infer<typeof addedLineSchema>;

export const reservationSchema = z.object({
  id: guid,
  sequence: z.number().int(),
  itemId: guid,
  locationId: guid,
  quantity: z.number(),
});
export type ReservationResult = z.infer<typeof reservationSchema>;

/** A failure as a Catch records it (`{ Error, Cause }`). */
export const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof caughtErrorSchema>;

/** Parses one part of a step's input, naming the step and the path when it does not fit. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw invalidInput(`${what} is not valid: ${issues}`);
}
