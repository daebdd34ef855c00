// Route selection as API Gateway HTTP APIs do it: the most specific route wins (literal segments over
// `{param}` over `{proxy+}`, an exact method over ANY), `$default` catches the rest.

export interface MatchedRoute<R> {
  route: R;
  pathParameters: Record<string, string>;
}

interface CompiledRoute<R> {
  route: R;
  method: string;
  segments: string[];
  isDefault: boolean;
}

export class RouteTable<R extends { routeKey: string }> {
  private readonly compiled: CompiledRoute<R>[];

  constructor(routes: readonly R[]) {
    this.compiled = routes.map((route) => compile(route));
  }

  match(method: string, path: string): MatchedRoute<R> | undefined {
    const requestSegments = splitPath(path);
    let best: { match: MatchedRoute<R>; score: number[] } | undefined;
    for (const candidate of this.compiled) {
      if (candidate.isDefault) continue;
      if (candidate.method !== 'ANY' && candidate.method !== method.toUpperCase()) continue;
      const pathParameters = matchSegments(candidate.segments, requestSegments);
      if (!pathParameters) continue;
      const score = specificity(candidate);
      if (!best || compareScores(score, best.score) > 0) best = { match: { route: candidate.route, pathParameters }, score };
    }
    if (best) return best.match;
    const fallback = this.compiled.find((candidate) => candidate.isDefault);
    return fallback ? { route: fallback.route, pathParameters: {} } : undefined;
  }
}

function compile<R extends { routeKey: string }>(route: R): CompiledRoute<R> {
  if (route.routeKey === '$default') return { route, method: 'ANY', segments: [], isDefault: true };
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(route.routeKey);
  if (!match) throw new Error(`route key "${route.routeKey}" is not "METHOD /path" or "$default"`);
  const segments = splitPath(match[2]!);
  segments.forEach((segment, index) => {
    if (segment.endsWith('+}') && index !== segments.length - 1) {
      throw new Error(`route key "${route.routeKey}": a greedy {name+} variable must be the last segment`);
    }
  });
  return { route, method: match[1]!, segments, isDefault: false };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

const isGreedy = (segment: string): boolean => /^\{[^}]+\+\}$/.test(segment);
const isVariable = (segment: string): boolean => /^\{[^}]+\}$/.test(segment);

function matchSegments(pattern: string[], request: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const segment = pattern[i]!;
    if (isGreedy(segment)) {
      if (i >= request.length) return undefined; // {proxy+} needs at least one segment
      parameters[segment.slice(1, -2)] = request.slice(i).map(decodeSegment).join('/');
      return parameters;
    }
    const value = request[i];
    if (value === undefined) return undefined;
    if (isVariable(segment)) parameters[segment.slice(1, -1)] = decodeSegment(value);
    else if (segment !== value) return undefined;
  }
  return pattern.length === request.length ? parameters : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Per segment: literal 2, variable 1, greedy 0; then exact method over ANY. Compared lexicographically. */
function specificity(route: CompiledRoute<unknown>): number[] {
  return [...route.segments.map((s) => (isGreedy(s) ? 0 : isVariable(s) ? 1 : 2)), route.method === 'ANY' ? 0 : 1];
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}
