// The offline command language (docs/command-language.md): a tokenizer and a recursive-descent parser that
// turn text into commands. Entity sets and field names are resolved against the BC catalogue here, so a
// typo gets a "did you mean" instead of a plan that fails later. Nothing is evaluated.
import { entitySetNames, findEntitySet, type EntityProperty, type EntitySetDefinition } from '../bc/index.js';
import { isGuid } from '../bc/index.js';
import { didYouMean, DOCUMENT_ACTIONS, type DocumentAction, VALUE_OPERATORS } from '../plan/index.js';
import type { Filter, FilterCondition, FilterOperator } from '../plan/index.js';

export class CommandSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- tokens

type TokenKind = 'word' | 'number' | 'string' | 'punct' | 'end';
export interface Token {
  kind: TokenKind;
  text: string;
  /** Strings: the unescaped content; numbers: the numeric value. */
  value?: string | number;
  position: number;
}

const PUNCTUATION = new Set([';', ',', ':', '(', ')', '=']);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function isNumberText(text: string): boolean {
  let i = text[0] === '-' ? 1 : 0;
  const digitsFrom = i;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  if (i === digitsFrom) return false;
  if (i === text.length) return true;
  if (text[i] !== '.') return false;
  const fractionFrom = ++i;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  return i > fractionFrom && i === text.length;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      // Quoted text; the quote character doubled stands for itself ('O''Brien').
      const start = i++;
      let value = '';
      for (;;) {
        if (i >= text.length) throw new CommandSyntaxError(`the text starting at ${start + 1} has no closing ${c}`, start);
        if (text[i] === c) {
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, position: start });
    } else if (PUNCTUATION.has(c)) {
      tokens.push({ kind: 'punct', text: c, position: i++ });
    } else {
      const start = i;
      while (i < text.length && !isSpace(text[i]!) && !PUNCTUATION.has(text[i]!) && text[i] !== "'" && text[i] !== '"') i++;
      const word = text.slice(start, i);
      tokens.push(isNumberText(word) ? { kind: 'number', text: word, value: Number(word), position: start } : { kind: 'word', text: word, position: start });
    }
  }
  tokens.push({ kind: 'end', text: 'the end of the text', position: text.length });
  return tokens;
}

// ---------------------------------------------------------------- commands

export type Literal = string | number | boolean | null;
export interface Condition {
  field: string;
  op: FilterOperator;
  value: Literal | Literal[];
}
type Expression = { kind: 'condition'; condition: Condition } | { kind: 'and' | 'or'; items: Expression[] };

export interface QueryOptions {
  where?: Filter;
  top?: number;
  skip?: number;
  orderby?: { field: string; direction: 'asc' | 'desc' }[];
  select?: string[];
}

/** A record named in a command: by its number (or code) or by its id. */
export interface RecordKey {
  field: string;
  value: Literal;
}

export type CommandBody =
  | { kind: 'list'; entity: string; options: QueryOptions }
  | { kind: 'count'; entity: string; where?: Filter }
  | { kind: 'get'; entity: string; key: RecordKey }
  | { kind: 'create'; entity: string; data: Record<string, Literal> }
  | { kind: 'update'; entity: string; key: RecordKey; data: Record<string, Literal> }
  | { kind: 'delete'; entity: string; key: RecordKey }
  | { kind: 'purchase_order'; vendorNumber: string; lines: { itemNumber: string; quantity: number; locationCode?: string }[] }
  | { kind: 'analyze'; entity: string; by: string; where?: Filter }
  | { kind: 'validate'; entity: string; data: Record<string, Literal> }
  | { kind: 'post'; entity: DocumentAction['entity']; action: DocumentAction['action']; key: RecordKey };
/** A command and its own words, as typed. */
export type Command = CommandBody & { text: string };

/** `;`-separated sequences; within a sequence, each command runs after the one before (`then`). */
export type Program = Command[][];

// ---------------------------------------------------------------- entity names

/** Spoken names of every entity set in the catalogue: `sales orders`, `sales order`, `salesorders`, … */
const entityPhrases: Map<string, string> = (() => {
  const words = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const phrases = new Map<string, string>();
  for (const set of entitySetNames) {
    const entityName = findEntitySet(set)!.entityName;
    for (const phrase of [words(set), words(entityName), set.toLowerCase(), entityName.toLowerCase()]) phrases.set(phrase, set);
  }
  return phrases;
})();
const MAX_PHRASE_WORDS = Math.max(...[...entityPhrases.keys()].map((p) => p.split(' ').length));

const OPERATORS: readonly FilterOperator[] = [...VALUE_OPERATORS, 'in'];
/** The first words of the posting commands (`post`, `ship and invoice`, `receive and invoice`). */
const POSTING_VERBS = new Set(DOCUMENT_ACTIONS.map((a) => a.command.split(' ')[0]!));
const VERBS = ['list', 'get', 'count', 'create', 'update', 'delete', 'analyze', 'validate', ...POSTING_VERBS];
const SYMBOL_HINTS: Record<string, string> = { '=': 'eq', '==': 'eq', '!=': 'ne', '<>': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le' };
/** Words that end a value or a clause, so they are never read as bare text. */
const RESERVED = new Set(['then', 'and', 'or', 'where', 'top', 'skip', 'orderby', 'order', 'select', 'set', 'by']);
const MAX_PARENTHESES = 8;
const NUMERIC_TYPES = new Set(['decimal', 'integer', 'int64']);
const TEXT_OPERATORS = new Set<FilterOperator>(['contains', 'startswith', 'endswith']);

// ---------------------------------------------------------------- parser

export function parseProgram(text: string): Program {
  return new Parser(text).program();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private parentheses = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  program(): Program {
    const sequences: Program = [];
    while (this.peek().kind !== 'end') {
      if (this.acceptPunct(';')) continue;
      sequences.push(this.sequence());
      if (this.peek().kind !== 'end') this.expectPunct(';', "';' or 'then' between commands");
    }
    if (sequences.length === 0) throw new CommandSyntaxError('there is no command', 0);
    return sequences;
  }

  private sequence(): Command[] {
    const commands = [this.command()];
    while (this.acceptWord('then')) commands.push(this.command());
    return commands;
  }

  private command(): Command {
    const start = this.peek().position;
    const verb = this.peek();
    if (verb.kind !== 'word') throw this.error(`expected a command (${VERBS.join(', ')}), got ${this.describe(verb)}`);
    this.index++;
    const command = this.commandBody(verb.text.toLowerCase(), verb);
    const end = this.tokens[this.index - 1]!;
    return { ...command, text: this.source.slice(start, end.position + end.text.length).trim() };
  }

  private commandBody(verb: string, verbToken: Token): CommandBody {
    switch (verb) {
      case 'list':
      case 'show':
      case 'find': {
        const entity = this.entitySet();
        return { kind: 'list', entity: entity.entitySet, options: this.queryOptions(entity) };
      }
      case 'count': {
        const entity = this.entitySet();
        return { kind: 'count', entity: entity.entitySet, where: this.acceptWord('where') ? this.where(entity) : undefined };
      }
      case 'get': {
        const entity = this.entitySet();
        return { kind: 'get', entity: entity.entitySet, key: this.recordKey(entity) };
      }
      case 'create':
      case 'add': {
        const entity = this.entitySet();
        if (entity.entitySet === 'purchaseOrders' && this.acceptWord('for')) return this.purchaseOrder();
        return { kind: 'create', entity: entity.entitySet, data: this.assignments(entity, true) };
      }
      case 'update':
      case 'change': {
        const entity = this.entitySet();
        const key = this.recordKey(entity);
        this.expectWord('set');
        return { kind: 'update', entity: entity.entitySet, key, data: this.assignments(entity, true) };
      }
      case 'delete':
      case 'remove': {
        const entity = this.entitySet();
        return { kind: 'delete', entity: entity.entitySet, key: this.recordKey(entity) };
      }
      case 'analyze':
      case 'analyse': {
        const entity = this.entitySet();
        this.expectWord('by');
        const by = this.field(entity, 'analyze by');
        return { kind: 'analyze', entity: entity.entitySet, by: by.name, where: this.acceptWord('where') ? this.where(entity) : undefined };
      }
      case 'validate':
      case 'check': {
        const entity = this.entitySet();
        return { kind: 'validate', entity: entity.entitySet, data: this.assignments(entity, false) };
      }
      default:
        if (POSTING_VERBS.has(verb)) return this.posting(verb, verbToken);
        throw new CommandSyntaxError(`'${verbToken.text}' is not a command.${didYouMean(verb, VERBS)}`, verbToken.position);
    }
  }

  // post sales invoice S-INV1004 · ship and invoice sales order S-ORD101001 · receive and invoice purchase order 106001
  private posting(verb: string, verbToken: Token): CommandBody {
    const candidates = DOCUMENT_ACTIONS.filter((a) => a.command.split(' ')[0] === verb);
    const rest = candidates[0]!.command.split(' ').slice(1);
    for (const word of rest) this.expectWord(word, `'${candidates[0]!.command}'`);
    const entity = this.entitySet();
    const action = candidates.find((a) => a.entity === entity.entitySet);
    if (!action) {
      const other = DOCUMENT_ACTIONS.find((a) => a.entity === entity.entitySet);
      throw new CommandSyntaxError(
        `'${candidates[0]!.command}' applies to ${candidates.map((a) => `${a.document}s`).join(', ')}, not ${entity.entitySet}` +
          (other ? ` (a ${other.document} is posted with '${other.command} ${other.document} <number>')` : ''),
        verbToken.position,
      );
    }
    return { kind: 'post', entity: action.entity, action: action.action, key: this.recordKey(entity) };
  }

  // create purchase order for vendor 20000: 5 x 1896-S, 2 x 1900-S at EAST
  private purchaseOrder(): CommandBody {
    const vendorWord = this.peek();
    if (!(vendorWord.kind === 'word' && entityPhrases.get(vendorWord.text.toLowerCase()) === 'vendors')) {
      throw this.error(`expected 'vendor' after 'create purchase order for', got ${this.describe(vendorWord)}`);
    }
    this.index++;
    const vendorNumber = this.identifier('a vendor number');
    this.expectPunct(':', "':' before the order lines (e.g. ': 5 x 1896-S, 2 x 1900-S')");
    const lines: { itemNumber: string; quantity: number; locationCode?: string }[] = [];
    do {
      const quantity = this.peek();
      if (quantity.kind !== 'number' || (quantity.value as number) <= 0) throw this.error(`expected a quantity (a positive number) in an order line, got ${this.describe(quantity)}`);
      this.index++;
      this.expectWord('x', "'x' between quantity and item number (e.g. '5 x 1896-S')");
      const itemNumber = this.identifier('an item number');
      const locationCode = this.acceptWord('at') ? this.identifier('a location code') : undefined;
      lines.push({ itemNumber, quantity: quantity.value as number, ...(locationCode ? { locationCode } : {}) });
    } while (this.acceptPunct(','));
    return { kind: 'purchase_order', vendorNumber, lines };
  }

  private queryOptions(entity: EntitySetDefinition): QueryOptions {
    const options: QueryOptions = {};
    const once = (name: keyof QueryOptions, at: Token) => {
      if (options[name] !== undefined) throw new CommandSyntaxError(`'${name}' is given twice`, at.position);
    };
    for (;;) {
      const token = this.peek();
      const word = token.kind === 'word' ? token.text.toLowerCase() : '';
      if (word === 'where') {
        once('where', token);
        this.index++;
        options.where = this.where(entity);
      } else if (word === 'top' || word === 'skip') {
        once(word, token);
        this.index++;
        options[word] = word === 'top' ? this.count(word, 1, 1000) : this.count(word, 0, 10_000);
      } else if (word === 'orderby' || (word === 'order' && this.peek(1).text.toLowerCase() === 'by')) {
        once('orderby', token);
        this.index += word === 'order' ? 2 : 1;
        options.orderby = this.commaList(() => {
          const field = this.field(entity, 'orderby').name;
          const direction = this.acceptWord('desc') ? 'desc' : (this.acceptWord('asc'), 'asc');
          return { field, direction } as const;
        });
      } else if (word === 'select') {
        once('select', token);
        this.index++;
        options.select = this.commaList(() => this.field(entity, 'select').name);
      } else {
        return options;
      }
    }
  }

  /** The where-expression as ANDed clauses, checked against Business Central's rule for `or`. */
  private where(entity: EntitySetDefinition): Filter {
    const position = this.peek().position;
    return toFilter(this.expression(entity), position);
  }

  // expression := and ('or' and)* ; and := atom ('and' atom)* ; atom := '(' expression ')' | condition
  private expression(entity: EntitySetDefinition): Expression {
    const items = [this.conjunction(entity)];
    while (this.acceptWord('or')) items.push(this.conjunction(entity));
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private conjunction(entity: EntitySetDefinition): Expression {
    const items = [this.atom(entity)];
    while (this.acceptWord('and')) items.push(this.atom(entity));
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private atom(entity: EntitySetDefinition): Expression {
    if (this.acceptPunct('(')) {
      if (++this.parentheses > MAX_PARENTHESES) throw this.error(`parentheses are nested more than ${MAX_PARENTHESES} deep`);
      const inner = this.expression(entity);
      this.expectPunct(')', "')'");
      this.parentheses--;
      return inner;
    }
    const property = this.field(entity, 'where');
    const opToken = this.peek();
    const op = opToken.text.toLowerCase() as FilterOperator;
    if (!OPERATORS.includes(op) || opToken.kind !== 'word') {
      const hint = SYMBOL_HINTS[opToken.text] ? ` (write '${SYMBOL_HINTS[opToken.text]}' for '${opToken.text}')` : '';
      throw this.error(`expected an operator after '${property.name}' (${OPERATORS.join(', ')}), got ${this.describe(opToken)}${hint}`);
    }
    this.index++;
    if (TEXT_OPERATORS.has(op) && property.type !== 'string') {
      throw new CommandSyntaxError(`'${op}' works on text fields; '${property.name}' is ${property.type}`, opToken.position);
    }
    let value: Literal | Literal[];
    if (op === 'in') {
      this.expectPunct('(', "'(' after 'in' (e.g. in ('A', 'B'))");
      value = this.commaList(() => {
        const at = this.peek();
        const item = this.literal(property);
        if (item === null || typeof item === 'boolean') throw new CommandSyntaxError(`'in' takes text or numbers, got ${at.text}`, at.position);
        return item;
      });
      this.expectPunct(')', "')' to close the list after 'in'");
    } else {
      value = this.literal(property);
    }
    return { kind: 'condition', condition: { field: property.name, op, value } };
  }

  private assignments(entity: EntitySetDefinition, writable: boolean): Record<string, Literal> {
    const data: Record<string, Literal> = {};
    do {
      const at = this.peek();
      const property = this.field(entity, 'the data');
      if (writable && property.readOnly) throw new CommandSyntaxError(`'${property.name}' of ${entity.entitySet} is read-only`, at.position);
      if (Object.hasOwn(data, property.name)) throw new CommandSyntaxError(`'${property.name}' is given twice`, at.position);
      this.expectPunct('=', `'=' after '${property.name}' (e.g. ${property.name}='value')`);
      data[property.name] = this.literal(property);
      this.acceptPunct(',');
    } while (this.peek().kind === 'word' && !RESERVED.has(this.peek().text.toLowerCase()));
    return data;
  }

  /** Longest run of words naming an entity set. */
  private entitySet(): EntitySetDefinition {
    const first = this.peek();
    if (first.kind !== 'word') throw this.error(`expected what to work on (e.g. customers, vendors, items), got ${this.describe(first)}`);
    for (let n = MAX_PHRASE_WORDS; n >= 1; n--) {
      const words = this.tokens.slice(this.index, this.index + n);
      if (words.length < n || words.some((w) => w.kind !== 'word')) continue;
      const set = entityPhrases.get(words.map((w) => w.text.toLowerCase()).join(' '));
      if (set) {
        this.index += n;
        return findEntitySet(set)!;
      }
    }
    throw new CommandSyntaxError(`'${first.text}' is not something I know.${didYouMean(first.text, [...entityPhrases.keys()])} I know: ${entitySetNames.join(', ')}`, first.position);
  }

  private field(entity: EntitySetDefinition, usage: string): EntityProperty {
    const token = this.peek();
    if (token.kind !== 'word') throw this.error(`expected a field of ${entity.entitySet} in ${usage}, got ${this.describe(token)}`);
    const property = entity.properties.find((p) => p.name.toLowerCase() === token.text.toLowerCase());
    if (!property) {
      throw new CommandSyntaxError(
        `'${token.text}' is not a field of ${entity.entitySet}.${didYouMean(token.text, entity.properties.map((p) => p.name))}`,
        token.position,
      );
    }
    this.index++;
    return property;
  }

  /** The record a get/update/delete names: an id (GUID) or its number/code. */
  private recordKey(entity: EntitySetDefinition): RecordKey {
    const token = this.peek();
    if (token.kind === 'end' || token.kind === 'punct') throw this.error(`expected which ${entity.entityName} (its number or id), got ${this.describe(token)}`);
    const text = token.kind === 'string' ? (token.value as string) : token.text;
    if (isGuid(text)) {
      this.index++;
      return { field: 'id', value: text.toLowerCase() };
    }
    const keyField = keyFieldOf(entity);
    if (!keyField) throw this.error(`${entity.entitySet} can only be named by id (a GUID)`);
    return { field: keyField.name, value: this.literal(keyField) };
  }

  /** A literal typed by the field it is compared with or assigned to. */
  private literal(property: EntityProperty): Literal {
    const token = this.peek();
    const lower = token.text.toLowerCase();
    let value: Literal;
    if (token.kind === 'string' || token.kind === 'number') value = token.value!;
    else if (token.kind === 'word' && (lower === 'true' || lower === 'false')) value = lower === 'true';
    else if (token.kind === 'word' && lower === 'null') value = null;
    else if (token.kind === 'word' && !RESERVED.has(lower)) value = token.text;
    else throw this.error(`expected a value for '${property.name}', got ${this.describe(token)}`);
    this.index++;

    if (value === null) return value;
    if (NUMERIC_TYPES.has(property.type)) {
      if (typeof value !== 'number') throw new CommandSyntaxError(`'${property.name}' is a number; got ${token.text}`, token.position);
      if (property.type !== 'decimal' && !Number.isInteger(value)) throw new CommandSyntaxError(`'${property.name}' is a whole number; got ${token.text}`, token.position);
      return value;
    }
    if (property.type === 'boolean') {
      if (typeof value !== 'boolean') throw new CommandSyntaxError(`'${property.name}' is true or false; got ${token.text}`, token.position);
      return value;
    }
    if (typeof value === 'boolean') throw new CommandSyntaxError(`'${property.name}' is ${property.type}; got ${token.text}`, token.position);
    // Numbers in BC are often text (customer number 10000): keep the digits as typed.
    const text = typeof value === 'number' ? token.text : value;
    if (property.enumValues && !property.enumValues.includes(text)) {
      throw new CommandSyntaxError(`'${property.name}' is one of ${property.enumValues.join(', ')}; got '${text}'`, token.position);
    }
    return text;
  }

  private identifier(what: string): string {
    const token = this.peek();
    if (token.kind === 'string' || token.kind === 'number' || (token.kind === 'word' && !RESERVED.has(token.text.toLowerCase()))) {
      this.index++;
      return token.kind === 'string' ? (token.value as string) : token.text;
    }
    throw this.error(`expected ${what}, got ${this.describe(token)}`);
  }

  private count(name: string, min: number, max: number): number {
    const token = this.peek();
    if (token.kind !== 'number' || !Number.isInteger(token.value) || (token.value as number) < min || (token.value as number) > max) {
      throw this.error(`'${name}' needs a whole number from ${min} to ${max}, got ${this.describe(token)}`);
    }
    this.index++;
    return token.value as number;
  }

  private commaList<T>(item: () => T): T[] {
    const items = [item()];
    while (this.acceptPunct(',')) items.push(item());
    return items;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private acceptWord(word: string): boolean {
    const token = this.peek();
    if (token.kind === 'word' && token.text.toLowerCase() === word) {
      this.index++;
      return true;
    }
    return false;
  }

  private expectWord(word: string, what = `'${word}'`): void {
    if (!this.acceptWord(word)) throw this.error(`expected ${what}, got ${this.describe(this.peek())}`);
  }

  private acceptPunct(punct: string): boolean {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === punct) {
      this.index++;
      return true;
    }
    return false;
  }

  private expectPunct(punct: string, what: string): void {
    if (!this.acceptPunct(punct)) throw this.error(`expected ${what}, got ${this.describe(this.peek())}`);
  }

  private describe(token: Token): string {
    return token.kind === 'end' ? 'the end of the text' : `'${token.text}'`;
  }

  private error(message: string): CommandSyntaxError {
    return new CommandSyntaxError(message, this.peek().position);
  }
}

/** The field people use to name a record of this set: its number, code, entry number or name. */
export function keyFieldOf(entity: EntitySetDefinition): EntityProperty | undefined {
  for (const name of ['number', 'code', 'entryNumber', 'name']) {
    const property = entity.properties.find((p) => p.name === name);
    if (property) return property;
  }
  return undefined;
}

/**
 * The where-expression as the MCP tool's structured filter. Business Central allows `or` only between
 * conditions on one field, so an `or` must join plain conditions on the same field:
 * `(city eq 'A' or city eq 'B') and balanceDue gt 0`.
 */
function toFilter(expression: Expression, position: number): Filter {
  if (expression.kind === 'condition') return toCondition(expression.condition);
  if (expression.kind === 'and') return { and: expression.items.map((item) => toFilter(item, position)) };
  const conditions = expression.items.flatMap(function flat(item): Condition[] {
    if (item.kind === 'condition') return [item.condition];
    if (item.kind === 'or') return item.items.flatMap(flat);
    throw new CommandSyntaxError(
      "Business Central cannot combine 'and' inside an 'or': use 'or' only between conditions on one field, e.g. where (city eq 'A' or city eq 'B') and balanceDue gt 0",
      position,
    );
  });
  const fields = [...new Set(conditions.map((c) => c.field))];
  if (fields.length > 1) {
    throw new CommandSyntaxError(`Business Central allows 'or' only between conditions on the same field (got ${fields.join(' and ')})`, position);
  }
  return { or: conditions.map(toCondition) };
}

function toCondition(condition: Condition): FilterCondition {
  if (condition.op === 'in') {
    const values = condition.value as Literal[];
    return { field: condition.field, op: 'in', values: values as (string | number)[] };
  }
  return { field: condition.field, op: condition.op, value: condition.value as Literal };
}
