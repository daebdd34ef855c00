// Checks a record against its entity set's schema (functions/core/bc/entities.json: field names, types,
// read-only flags, enum members) and business rules (required fields, e-mail and phone format, positive
// line quantities, non-negative prices). Used by the validation task and before any write.
import { findEntitySet, type EntityProperty } from '../bc/index.js';
import { isGuid } from '../bc/index.js';

export type ValidationRule = 'unknown_entity' | 'unknown_field' | 'read_only' | 'type' | 'enum' | 'required' | 'email' | 'phone' | 'positive' | 'non_negative';

export interface ValidationProblem {
  field?: string;
  rule: ValidationRule;
  message: string;
}

export interface ValidationReport {
  entity: string;
  valid: boolean;
  problems: ValidationProblem[];
}

/** `create` and `check` apply the required-field rules; `update` changes only the fields given. */
export type ValidationMode = 'create' | 'update' | 'check';

/** Fields a new record needs; a list of alternatives means one of them. */
const REQUIRED_ON_CREATE: Record<string, (string | string[])[]> = {
  customers: ['displayName'],
  vendors: ['displayName'],
  items: ['displayName'],
  locations: ['code'],
  paymentTerms: ['code'],
  currencies: ['code'],
  salesOrders: [['customerId', 'customerNumber']],
  purchaseOrders: [['vendorId', 'vendorNumber']],
  salesOrderLines: ['quantity'],
  purchaseOrderLines: ['quantity'],
};

const EMAIL = /^[^\s@"<>()[\],;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const PHONE = /^\+?[0-9 ()\-./]{3,30}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function typeProblem(property: EntityProperty, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (property.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be text';
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'integer':
    case 'int64':
      return Number.isInteger(value) ? undefined : 'must be a whole number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'GUID':
      return isGuid(value) ? undefined : 'must be a GUID';
    case 'date':
      return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? undefined : 'must be a date (YYYY-MM-DD)';
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : 'must be a date and time (ISO 8601)';
    default:
      return undefined;
  }
}

export function validateRecord(entity: string, data: Record<string, unknown>, mode: ValidationMode = 'check'): ValidationReport {
  const problems: ValidationProblem[] = [];
  const definition = findEntitySet(entity);
  if (!definition) {
    return { entity, valid: false, problems: [{ rule: 'unknown_entity', message: `'${entity}' is not an entity set of Business Central's API v2.0` }] };
  }
  for (const [field, value] of Object.entries(data)) {
    const property = definition.properties.find((p) => p.name === field);
    if (!property) {
      problems.push({ field, rule: 'unknown_field', message: `'${field}' is not a field of ${entity}` });
      continue;
    }
    if (property.readOnly) {
      problems.push({ field, rule: 'read_only', message: `'${field}' is read-only` });
      continue;
    }
    const wrongType = typeProblem(property, value);
    if (wrongType) {
      problems.push({ field, rule: 'type', message: `'${field}' ${wrongType}` });
      continue;
    }
    if (property.enumValues && typeof value === 'string' && !property.enumValues.includes(value)) {
      problems.push({ field, rule: 'enum', message: `'${field}' must be one of ${property.enumValues.map((v) => `'${v}'`).join(', ')}` });
    }
    if (/e-?mail/i.test(field) && typeof value === 'string' && value !== '' && !EMAIL.test(value)) {
      problems.push({ field, rule: 'email', message: `'${field}' is not a valid e-mail address` });
    }
    if (/phone/i.test(field) && typeof value === 'string' && value !== '' && !PHONE.test(value)) {
      problems.push({ field, rule: 'phone', message: `'${field}' is not a valid phone number` });
    }
    // Document lines order something; ledger entries may carry negative quantities (outbound) by design.
    if (/Lines$/.test(entity) && /quantity$/i.test(field) && typeof value === 'number' && !(value > 0)) {
      problems.push({ field, rule: 'positive', message: `'${field}' must be greater than zero` });
    }
    if (/(price|cost|amount)$/i.test(field) && typeof value === 'number' && value < 0) {
      problems.push({ field, rule: 'non_negative', message: `'${field}' must not be negative` });
    }
  }
  if (mode !== 'update') {
    for (const required of REQUIRED_ON_CREATE[entity] ?? []) {
      const options = Array.isArray(required) ? required : [required];
      if (options.every((f) => isBlank(data[f]))) {
        const names = options.map((f) => `'${f}'`).join(' or ');
        problems.push({ field: options[0], rule: 'required', message: `${names} is required for a new ${definition.entityName}` });
      }
    }
  }
  return { entity, valid: problems.length === 0, problems };
}
