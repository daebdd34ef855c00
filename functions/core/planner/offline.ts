// The offline planner: the command language (command-language.ts) turned into a plan, deterministically.
// Anything it cannot read becomes a reply that says why and what it understands; it never throws.
import { findEntitySet } from '../bc/index.js';
import { POST_DOCUMENT_TOOL, validatePlan, type FilterCondition, type PlanInput, type QueryArgs, SAGA_TOOL } from '../plan/index.js';
import { CommandSyntaxError, keyFieldOf, parseProgram, type Command, type RecordKey } from './command-language.js';
import { describeProblems, type PlanContext, type PlanOutcome, type Planner } from './types.js';

export const MAX_COMMAND_TEXT = 4000;

export const COMMAND_HELP = [
  'I understand these commands (Business Central entity sets such as customers, vendors, items, sales orders,',
  'purchase orders, locations, payment terms, currencies, item ledger entries, companies; singular or plural):',
  "  list <set> [where <field> <op> <value> [and|or …]] [orderby <field> [asc|desc]] [top N] [skip N] [select a,b]",
  '      operators: eq ne gt ge lt le contains startswith endswith in (…)',
  '  get <entity> <number or id>            count <set> [where …]',
  "  create <entity> field='value' …        update <entity> <number> set field='value' …",
  '  delete <entity> <number>               validate <entity> field=\'value\' …',
  '  create purchase order for vendor <number>: <qty> x <item>, …',
  '  analyze <set> by <field> [where …]',
  '  post sales invoice|sales credit memo|purchase invoice <number>',
  '  ship and invoice sales order <number>   receive and invoice purchase order <number>',
  "Join commands with ';' to run them side by side, or with 'then' to run them one after another.",
  'Examples:',
  "  list customers where city eq 'Atlanta' top 5",
  '  count vendors',
  '  get vendor 20000 then analyze vendors by balance',
  "  update customer 10000 set phoneNumber='555-0100'",
  '  create purchase order for vendor 20000: 5 x 1896-S, 2 x 1900-S',
  '  post sales invoice S-INV1004',
].join('\n');

type TaskInput = PlanInput['tasks'][number];

interface Built {
  tasks: TaskInput[];
  /** The task whose end ends the command. */
  last: string;
  /** Set when the command's last task is a query, so a following `analyze` can use its result. */
  queried?: string;
}

export function createOfflinePlanner(options: { maxTasks: number }): Planner {
  return {
    name: 'offline',
    async plan(text: string, _context: PlanContext): Promise<PlanOutcome> {
      return planCommands(text, options.maxTasks);
    },
  };
}

export function planCommands(text: string, maxTasks: number): PlanOutcome {
  if (typeof text !== 'string' || text.trim().length === 0) return { kind: 'reply', text: `Please type a command.\n\n${COMMAND_HELP}` };
  if (text.length > MAX_COMMAND_TEXT) return { kind: 'reply', text: `That is longer than the ${MAX_COMMAND_TEXT} characters I read.\n\n${COMMAND_HELP}` };
  let sequences: Command[][];
  try {
    sequences = parseProgram(text);
  } catch (error) {
    if (!(error instanceof CommandSyntaxError)) throw error;
    const near = text.slice(error.position, error.position + 30).trim();
    return {
      kind: 'reply',
      text: `I could not read that as a command: ${error.message.replace(/[.?]$/, '')}${near ? ` (near "${near}")` : ''}.\n\n${COMMAND_HELP}`,
    };
  }

  const builder = new PlanBuilder();
  for (const sequence of sequences) {
    let previous: Built | undefined;
    for (const command of sequence) previous = builder.add(command, previous);
  }
  const plan: PlanInput = { summary: summarise(sequences), tasks: builder.tasks };
  const validation = validatePlan(plan, { maxTasks });
  if (!validation.ok) return { kind: 'failed', reason: describeProblems(validation.problems), problems: validation.problems };
  return { kind: 'plan', plan: validation.plan, levels: validation.levels };
}

function summarise(sequences: Command[][]): string {
  const text = sequences.map((s) => s.map((c) => c.text).join(' then ')).join('; ');
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

class PlanBuilder {
  readonly tasks: TaskInput[] = [];

  add(command: Command, previous: Built | undefined): Built {
    const after = previous ? [previous.last] : [];
    const description = command.text.length > 500 ? `${command.text.slice(0, 497)}...` : command.text;
    switch (command.kind) {
      case 'list': {
        const { where, top, skip, orderby, select } = command.options;
        const id = this.task('query', 'bc_query_entity', description, after, {
          entity: command.entity,
          ...(where ? { filter: where } : {}),
          ...(select ? { select } : {}),
          ...(orderby ? { orderby } : {}),
          ...(top !== undefined ? { top } : {}),
          ...(skip !== undefined ? { skip } : {}),
        } satisfies QueryArgs);
        return { tasks: this.tasks, last: id, queried: command.entity };
      }
      case 'count': {
        const id = this.task('query', 'bc_query_entity', description, after, {
          entity: command.entity,
          ...(command.where ? { filter: command.where } : {}),
          // The count comes back as `count`; one record is the least a query may return.
          count: true,
          top: 1,
          select: ['id'],
        } satisfies QueryArgs);
        return { tasks: this.tasks, last: id };
      }
      case 'get': {
        const id = this.task('query', 'bc_query_entity', description, after, {
          entity: command.entity,
          filter: keyCondition(command.key),
          top: 1,
        } satisfies QueryArgs);
        return { tasks: this.tasks, last: id, queried: command.entity };
      }
      case 'create': {
        const id = this.task('write', 'bc_create_entity', description, after, { entity: command.entity, data: command.data });
        return { tasks: this.tasks, last: id };
      }
      case 'update':
      case 'delete': {
        const { id: recordId, dependsOn } = this.recordId(command.entity, command.key, after);
        const args = command.kind === 'update' ? { entity: command.entity, id: recordId, data: command.data } : { entity: command.entity, id: recordId };
        const id = this.task('write', command.kind === 'update' ? 'bc_update_entity' : 'bc_delete_entity', description, dependsOn, args);
        return { tasks: this.tasks, last: id };
      }
      case 'purchase_order': {
        const id = this.task('write', SAGA_TOOL, description, after, { vendorNumber: command.vendorNumber, lines: command.lines });
        return { tasks: this.tasks, last: id };
      }
      case 'analyze': {
        // After a get/list of the same set (and no filter of its own), analyse that result; else read first.
        let source = previous?.queried === command.entity && !command.where ? previous.last : undefined;
        if (!source) {
          const select = [...new Set([keyFieldOf(findEntitySet(command.entity)!)?.name, 'displayName', command.by])].filter(
            (f): f is string => !!f && !!findEntitySet(command.entity)!.properties.some((p) => p.name === f),
          );
          source = this.task('query', 'bc_query_entity', `Read ${command.entity} for: ${description}`, after, {
            entity: command.entity,
            ...(command.where ? { filter: command.where } : {}),
            select,
          } satisfies QueryArgs);
        }
        const id = this.task('analysis', 'analyze', description, [source], {
          source: { $ref: `${source}.result` },
          entity: command.entity,
          by: command.by,
        });
        return { tasks: this.tasks, last: id };
      }
      case 'post': {
        const { id: recordId, dependsOn } = this.recordId(command.entity, command.key, after);
        const id = this.task('write', POST_DOCUMENT_TOOL, description, dependsOn, { entity: command.entity, action: command.action, id: recordId });
        return { tasks: this.tasks, last: id };
      }
      case 'validate': {
        const id = this.task('validation', 'validate_entity', description, after, { entity: command.entity, data: command.data });
        return { tasks: this.tasks, last: id };
      }
    }
  }

  /** An id to write to: the GUID itself, or a lookup by number whose result the write references. */
  private recordId(entity: string, key: RecordKey, after: string[]): { id: unknown; dependsOn: string[] } {
    if (key.field === 'id') return { id: key.value, dependsOn: after };
    const entityName = findEntitySet(entity)!.entityName;
    const lookup = this.task('query', 'bc_query_entity', `Find ${entityName} ${String(key.value)}`, after, {
      entity,
      filter: keyCondition(key),
      select: ['id', key.field],
      top: 1,
    } satisfies QueryArgs);
    return { id: { $ref: `${lookup}.result.value[0].id` }, dependsOn: [lookup] };
  }

  private task(type: TaskInput['type'], tool: string, description: string, dependsOn: string[], args: Record<string, unknown>): string {
    const id = `t${this.tasks.length + 1}`;
    this.tasks.push({ id, type, tool, description, arguments: args, dependsOn, critical: true, priority: 'normal', delaySeconds: 0 });
    return id;
  }
}

function keyCondition(key: RecordKey): FilterCondition {
  return { field: key.field, op: 'eq', value: key.value };
}
