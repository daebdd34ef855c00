// Request-body checks shared by every writable entity set: a JSON object, documented property names only,
// read-only properties refused, values of the documented type (converted to the stored form), string lengths.
import { bcErrors } from './errors.js';
import { decodeEnumName, type EntityProperty, type EntitySetDefinition } from './schema.js';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Field lengths as BC's tables define them (Code[20] numbers, Code[10] codes, Text[100] names). */
function maxLength(property: EntityProperty): number {
  if (property.name === 'number' || property.name.endsWith('Number')) return 20;
  if (property.name === 'code' || property.name.endsWith('Code')) return 10;
  if (property.name === 'email') return 80;
  if (property.name === 'phoneNumber') return 30;
  return 100;
}

function isValidDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.getUTCDate() === Number(m[3]);
}

function convert(property: EntityProperty, value: unknown): unknown {
  const edm = property.type;
  const cannot = () => bcErrors.badRequest(`Cannot convert the literal '${JSON.stringify(value)}' to the expected type of property '${property.name}' (${edm})`);
  if (value === null) throw bcErrors.badRequest(`A null value was found for the property named '${property.name}', which has the expected type '${edm}'. The expected type does not allow null values`);
  switch (edm) {
    case 'GUID':
      if (typeof value !== 'string' || !GUID.test(value)) throw bcErrors.invalidGuid();
      return value.toLowerCase();
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw cannot();
      return value;
    case 'integer':
    case 'int64':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw cannot();
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw cannot();
      return value;
    case 'date':
      if (typeof value !== 'string' || !isValidDate(value)) throw bcErrors.badRequest('Unable to convert value to Date');
      return value;
    case 'datetime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw bcErrors.badRequest('Unable to convert value to DateTime');
      return new Date(value).toISOString();
    default:
      if (typeof value !== 'string') throw cannot();
      if (edm.startsWith('NAV.')) {
        const name = decodeEnumName(value);
        if (property.enumValues && !property.enumValues.includes(name)) throw bcErrors.evaluate(value, 'Option');
        return name;
      }
      if (value.length > maxLength(property)) throw bcErrors.stringTooLong(value.length, maxLength(property), value);
      return value;
  }
}

/** Validates a POST/PATCH body against the entity set; returns the converted values. */
export function validateBody(definition: EntitySetDefinition, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bcErrors.badRequest('Invalid Request Body');
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name.startsWith('@odata.')) continue;
    const property = definition.properties.find((p) => p.name === name);
    if (!property) {
      throw bcErrors.badRequest(
        `The property '${name}' does not exist on type 'Microsoft.NAV.${definition.entityName}'. Make sure to only use property names that are defined by the type`,
      );
    }
    if (property.readOnly) throw bcErrors.readOnly(name);
    values[name] = convert(property, value);
  }
  return values;
}
