// A tokenizer and recursive-descent parser for the $filter subset Business Central supports. It builds an AST
// and never evaluates text as code; anything outside the grammar is a syntax error in BC's words.
import { bcErrors } from '../errors.js';

export type Literal =
  | { kind: 'literal'; type: 'string'; value: string }
  | { kind: 'literal'; type: 'number'; value: number; raw: string }
  | { kind: 'literal'; type: 'guid'; value: string }
  | { kind: 'literal'; type: 'date'; value: string }
  | { kind: 'literal'; type: 'datetime'; value: string }
  | { kind: 'literal'; type: 'boolean'; value: boolean }
  | { kind: 'literal'; type: 'null'; value: null }
  | { kind: 'literal'; type: 'enum'; value: string };

export type ValueExpr = Literal | { kind: 'field'; name: string } | { kind: 'call'; name: string; args: ValueExpr[] };

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; operand: FilterExpr }
  | { kind: 'compare'; op: CompareOp; left: ValueExpr; right: ValueExpr }
  | { kind: 'in'; left: ValueExpr; values: Literal[] }
  | { kind: 'predicate'; call: ValueExpr & { kind: 'call' } };

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

type Token =
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: string; pos: number }
  | { type: 'guid' | 'date' | 'datetime'; value: string; pos: number }
  | { type: 'enum'; value: string; pos: number }
  | { type: 'ident'; value: string; pos: number }
  | { type: '(' | ')' | ','; pos: number }
  | { type: 'end'; pos: number };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;

export const supportedFunctions = new Set(['startswith', 'endswith', 'contains', 'tolower', 'toupper']);
const predicateFunctions = new Set(['startswith', 'endswith', 'contains']);
const compareOps = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

function syntaxError(message: string, pos: number, text: string): Error {
  return bcErrors.querySyntax(`${message} at position ${pos} in '${text}'`);
}

/** Reads a quoted literal starting at `start` (a quote); `''` stands for one quote. Returns the index after it. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw syntaxError('Unterminated string literal', start, text);
    if (text[i] === "'") {
      if (text[i + 1] !== "'") return { value, end: i + 1 };
      value += "'";
      i += 2;
      continue;
    }
    value += text[i];
    i++;
  }
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch, pos: i });
      i++;
      continue;
    }
    if (ch === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: 'string', value, pos: i });
      i = end;
      continue;
    }
    const rest = text.slice(i);
    const match =
      (GUID.exec(rest) && { type: 'guid' as const, m: GUID.exec(rest)! }) ||
      (DATETIME.exec(rest) && { type: 'datetime' as const, m: DATETIME.exec(rest)! }) ||
      (DATE.exec(rest) && { type: 'date' as const, m: DATE.exec(rest)! }) ||
      (NUMBER.exec(rest) && { type: 'number' as const, m: NUMBER.exec(rest)! });
    if (match) {
      tokens.push({ type: match.type, value: match.m[0], pos: i });
      i += match.m[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      // An enum literal written the OData way: Microsoft.NAV.type'Value'.
      if (text[i + ident[0].length] === "'" && ident[0].includes('.')) {
        const { value, end } = readQuoted(text, i + ident[0].length);
        tokens.push({ type: 'enum', value, pos: i });
        i = end;
        continue;
      }
      tokens.push({ type: 'ident', value: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    throw syntaxError(`Syntax error: character '${ch}' is not valid`, i, text);
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private take(): Token {
    return this.tokens[this.index++]!;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.type === 'ident' && t.value === word;
  }

  private expect(type: '(' | ')' | ','): void {
    const t = this.take();
    if (t.type !== type) throw syntaxError(`'${type}' expected`, t.pos, this.text);
  }

  parse(): FilterExpr {
    const expr = this.parseOr();
    const t = this.peek();
    if (t.type !== 'end') throw syntaxError('Syntax error', t.pos, this.text);
    return expr;
  }

  private parseOr(): FilterExpr {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.take();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    while (this.isKeyword('and')) {
      this.take();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterExpr {
    if (this.isKeyword('not')) {
      this.take();
      return { kind: 'not', operand: this.parseUnary() };
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpr {
    const t = this.peek();
    // A parenthesised boolean expression (a value expression never starts with '(' in this grammar).
    if (t.type === '(') {
      this.take();
      const inner = this.parseOr();
      this.expect(')');
      return inner;
    }
    const left = this.parseValue();
    const op = this.peek();
    if (op.type === 'ident' && compareOps.has(op.value)) {
      this.take();
      return { kind: 'compare', op: op.value as CompareOp, left, right: this.parseValue() };
    }
    if (op.type === 'ident' && op.value === 'in') {
      this.take();
      this.expect('(');
      const values: Literal[] = [];
      for (;;) {
        const value = this.parseValue();
        if (value.kind !== 'literal') throw syntaxError('Literal expected in the in list', this.peek().pos, this.text);
        values.push(value);
        const next = this.take();
        if (next.type === ')') break;
        if (next.type !== ',') throw syntaxError("',' or ')' expected", next.pos, this.text);
      }
      return { kind: 'in', left, values };
    }
    if (left.kind === 'call' && predicateFunctions.has(left.name)) return { kind: 'predicate', call: left };
    throw syntaxError('Comparison operator expected', op.pos, this.text);
  }

  private parseValue(): ValueExpr {
    const t = this.take();
    switch (t.type) {
      case 'string':
        return { kind: 'literal', type: 'string', value: t.value };
      case 'enum':
        return { kind: 'literal', type: 'enum', value: t.value };
      case 'number':
        return { kind: 'literal', type: 'number', value: Number(t.value), raw: t.value };
      case 'guid':
        return { kind: 'literal', type: 'guid', value: t.value.toLowerCase() };
      case 'date':
        return { kind: 'literal', type: 'date', value: t.value };
      case 'datetime':
        return { kind: 'literal', type: 'datetime', value: t.value };
      case 'ident': {
        if (t.value === 'true' || t.value === 'false') return { kind: 'literal', type: 'boolean', value: t.value === 'true' };
        if (t.value === 'null') return { kind: 'literal', type: 'null', value: null };
        if (this.peek().type === '(') {
          const name = t.value;
          if (!supportedFunctions.has(name)) throw bcErrors.notImplemented(`The function '${name}' is not supported on an OData filter`);
          this.take();
          const args: ValueExpr[] = [];
          if (this.peek().type !== ')') {
            for (;;) {
              args.push(this.parseValue());
              const next = this.take();
              if (next.type === ')') break;
              if (next.type !== ',') throw syntaxError("',' or ')' expected", next.pos, this.text);
            }
          } else {
            this.take();
          }
          const arity = predicateFunctions.has(name) ? 2 : 1;
          if (args.length !== arity) throw syntaxError(`The function '${name}' takes ${arity} argument(s)`, t.pos, this.text);
          return { kind: 'call', name, args };
        }
        if (t.value.includes('.') || ['and', 'or', 'not', 'in', ...compareOps].includes(t.value)) {
          throw syntaxError('Expression expected', t.pos, this.text);
        }
        return { kind: 'field', name: t.value };
      }
      default:
        throw syntaxError('Expression expected', t.pos, this.text);
    }
  }
}

export function parseFilter(text: string): FilterExpr {
  if (!text.trim()) throw syntaxError('Expression expected', 0, text);
  return new Parser(tokenize(text), text).parse();
}
