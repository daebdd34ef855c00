// Checks a parsed $filter against an entity set's schema with BC's restrictions (known fields only, a property
// compared with a literal of its type, `or` only within one field) and compiles it to a predicate.
import { bcErrors } from '../errors.js';
import { decodeEnumName, type EntityProperty, type EntitySetDefinition } from '../schema.js';
import type { CompareOp, FilterExpr, Literal, ValueExpr } from './filter-parser.js';

export type RecordPredicate = (record: Record<string, unknown>) => boolean;
type Scalar = string | number | boolean;

const edmNames: Record<string, string> = {
  GUID: 'Edm.Guid', string: 'Edm.String', decimal: 'Edm.Decimal', integer: 'Edm.Int32', int64: 'Edm.Int64',
  boolean: 'Edm.Boolean', date: 'Edm.Date', datetime: 'Edm.DateTimeOffset',
};
const literalEdm: Record<Literal['type'], string> = {
  string: 'Edm.String', number: 'Edm.Decimal', guid: 'Edm.Guid', date: 'Edm.Date', datetime: 'Edm.DateTimeOffset',
  boolean: 'Edm.Boolean', null: 'null', enum: 'Edm.Enum',
};

export function edmTypeOf(property: EntityProperty): string {
  return edmNames[property.type] ?? `Microsoft.NAV.${property.type.replace(/^NAV\./, '')}`;
}

function incompatible(property: EntityProperty, literal: Literal, op: string): Error {
  return bcErrors.badRequest(
    `A binary operator with incompatible types was detected. Found operand types '${edmTypeOf(property)}' and '${literalEdm[literal.type]}' for operator kind '${op}'`,
  );
}

/** Converts a literal to the stored representation of the property it is compared with. */
function coerce(property: EntityProperty, literal: Literal, op: string): Scalar {
  const type = property.type;
  if (literal.type === 'null') throw bcErrors.notImplemented('Comparing a property with null is not supported on an OData filter');
  if (type === 'GUID') {
    if (literal.type === 'guid') return literal.value;
    if (literal.type === 'string' && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(literal.value)) return literal.value.toLowerCase();
    throw incompatible(property, literal, op);
  }
  if (type === 'decimal' || type === 'integer' || type === 'int64') {
    if (literal.type === 'number') return literal.value;
    throw incompatible(property, literal, op);
  }
  if (type === 'boolean') {
    if (literal.type === 'boolean') return literal.value;
    throw incompatible(property, literal, op);
  }
  if (type === 'date') {
    if (literal.type === 'date') return literal.value;
    throw incompatible(property, literal, op);
  }
  if (type === 'datetime') {
    if (literal.type === 'datetime' || literal.type === 'date') return Date.parse(literal.value);
    throw incompatible(property, literal, op);
  }
  if (type.startsWith('NAV.')) {
    if (literal.type !== 'string' && literal.type !== 'enum') throw incompatible(property, literal, op);
    const name = decodeEnumName(literal.value);
    if (property.enumValues && !property.enumValues.includes(name)) throw bcErrors.evaluate(literal.value, 'Option');
    return name;
  }
  if (literal.type !== 'string') throw incompatible(property, literal, op);
  return literal.value;
}

/** A value side of a comparison: a field, possibly wrapped in tolower/toupper. */
interface FieldAccess {
  property: EntityProperty;
  read: (record: Record<string, unknown>) => Scalar;
  transform: (value: string) => string;
}

function fieldAccess(expr: ValueExpr, definition: EntitySetDefinition): FieldAccess | undefined {
  if (expr.kind === 'field') {
    const property = definition.properties.find((p) => p.name === expr.name);
    if (!property) throw bcErrors.unknownProperty(expr.name, definition.entityName);
    const read =
      property.type === 'datetime'
        ? (record: Record<string, unknown>) => Date.parse(String(record[property.name]))
        : (record: Record<string, unknown>) => record[property.name] as Scalar;
    return { property, read, transform: (v) => v };
  }
  if (expr.kind === 'call' && (expr.name === 'tolower' || expr.name === 'toupper')) {
    const inner = fieldAccess(expr.args[0]!, definition);
    if (!inner || inner.property.type !== 'string') {
      throw bcErrors.badRequest(`The function '${expr.name}' requires a string property`);
    }
    const transform = expr.name === 'tolower' ? (v: string) => inner.transform(v).toLowerCase() : (v: string) => inner.transform(v).toUpperCase();
    return { property: inner.property, read: (record) => transform(String(inner.read(record))), transform };
  }
  return undefined;
}

function fieldsOf(expr: FilterExpr | ValueExpr, into: Set<string>): Set<string> {
  switch (expr.kind) {
    case 'and':
    case 'or':
      fieldsOf(expr.left, into);
      fieldsOf(expr.right, into);
      break;
    case 'not':
      fieldsOf(expr.operand, into);
      break;
    case 'compare':
      fieldsOf(expr.left, into);
      fieldsOf(expr.right, into);
      break;
    case 'in':
      fieldsOf(expr.left, into);
      break;
    case 'predicate':
      fieldsOf(expr.call, into);
      break;
    case 'call':
      expr.args.forEach((arg) => fieldsOf(arg, into));
      break;
    case 'field':
      into.add(expr.name);
      break;
    default:
      break;
  }
  return into;
}

function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number) - (b as number);
}

const opTests: Record<CompareOp, (c: number) => boolean> = {
  eq: (c) => c === 0, ne: (c) => c !== 0, gt: (c) => c > 0, ge: (c) => c >= 0, lt: (c) => c < 0, le: (c) => c <= 0,
};
const opNames: Record<CompareOp, string> = { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' };
const flipped: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

const requireField = () => bcErrors.notImplemented('A filter condition must compare a property with a literal value');

export function compileFilter(expr: FilterExpr, definition: EntitySetDefinition): RecordPredicate {
  switch (expr.kind) {
    case 'and': {
      const left = compileFilter(expr.left, definition);
      const right = compileFilter(expr.right, definition);
      return (r) => left(r) && right(r);
    }
    case 'or': {
      const fields = fieldsOf(expr, new Set());
      if (fields.size > 1) throw bcErrors.notImplemented("The 'OR' operator is not supported on distinct fields on an OData filter");
      const left = compileFilter(expr.left, definition);
      const right = compileFilter(expr.right, definition);
      return (r) => left(r) || right(r);
    }
    case 'not': {
      const operand = compileFilter(expr.operand, definition);
      return (r) => !operand(r);
    }
    case 'compare': {
      let op = expr.op;
      let access = fieldAccess(expr.left, definition);
      let other = expr.right;
      if (!access) {
        access = fieldAccess(expr.right, definition);
        other = expr.left;
        op = flipped[op];
      }
      if (!access || other.kind !== 'literal') throw requireField();
      const field = access;
      let value = coerce(field.property, other, opNames[op]);
      if (typeof value === 'string') value = field.transform(value);
      const expected = value;
      const test = opTests[op];
      return (r) => test(compareScalars(field.read(r), expected));
    }
    case 'in': {
      const access = fieldAccess(expr.left, definition);
      if (!access) throw requireField();
      const values = expr.values.map((literal) => {
        const value = coerce(access.property, literal, 'In');
        return typeof value === 'string' ? access.transform(value) : value;
      });
      return (r) => {
        const actual = access.read(r);
        return values.some((v) => compareScalars(actual, v) === 0);
      };
    }
    case 'predicate': {
      const [target, pattern] = expr.call.args;
      const access = fieldAccess(target!, definition);
      if (!access || pattern?.kind !== 'literal') throw requireField();
      if (access.property.type !== 'string' && !access.property.type.startsWith('NAV.')) {
        throw bcErrors.badRequest(`The function '${expr.call.name}' requires a string property`);
      }
      if (pattern.type !== 'string') throw incompatible(access.property, pattern, expr.call.name);
      const needle = access.transform(pattern.value);
      const name = expr.call.name;
      return (r) => {
        const value = String(access.read(r));
        return name === 'startswith' ? value.startsWith(needle) : name === 'endswith' ? value.endsWith(needle) : value.includes(needle);
      };
    }
  }
}
