// A write in words, as the approver and the chat see it: what will change, in which entity set, with which
// values. Values are quoted data, never instructions.
import { SAGA_TOOL } from '../plan/index.js';

const MAX_VALUE_CHARS = 80;

function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function fields(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const entries = Object.entries(data as Record<string, unknown>);
  return entries.map(([k, v]) => `${k} = ${show(v)}`).join(', ');
}

/** singular-ish name of an entity set for a sentence: `customers` → `customer`. */
const one = (entity: unknown) => String(entity).replace(/ies$/, 'y').replace(/s$/, '');

export function summarizeWrite(tool: string, args: Record<string, unknown>): string {
  switch (tool) {
    case 'bc_create_entity':
      return `Create a ${one(args.entity)} in ${String(args.entity)} with ${fields(args.data) || 'no fields'}.`;
    case 'bc_update_entity':
      return `Update ${one(args.entity)} ${String(args.id)}: set ${fields(args.data) || 'nothing'}.`;
    case 'bc_delete_entity':
      return `Delete ${one(args.entity)} ${String(args.id)}.`;
    case 'bc_batch_operation': {
      const operations = Array.isArray(args.operations) ? (args.operations as Record<string, unknown>[]) : [];
      const shown = operations.slice(0, 5).map((op) => `${String(op.method)} ${String(op.entity)}${op.id ? ` ${String(op.id)}` : ''}${op.data ? ` (${fields(op.data)})` : ''}`);
      const more = operations.length > shown.length ? `; and ${operations.length - shown.length} more` : '';
      return `${args.atomic ? 'All or nothing: ' : ''}${operations.length} operation${operations.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}.`;
    }
    case SAGA_TOOL: {
      const lines = Array.isArray(args.lines) ? (args.lines as Record<string, unknown>[]) : [];
      return `Create a purchase order for vendor ${show(args.vendorNumber)}: ${lines.map((l) => `${String(l.quantity)} x ${show(l.itemNumber)}`).join(', ')}, and reserve the inventory.`;
    }
    default:
      return `Run ${tool} with ${fields(args)}.`;
  }
}
