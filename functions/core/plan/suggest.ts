// "Did you mean" for names typed by a person or produced by a model: the closest known names by edit
// distance (case-insensitive), only when they are plausibly the same word.

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** Up to `limit` known names closest to `input`, best first. */
export function closestNames(input: string, known: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  const threshold = Math.max(2, Math.floor(needle.length / 3));
  return known
    .map((name) => {
      const candidate = name.toLowerCase();
      const distance = candidate.includes(needle) || needle.includes(candidate) ? 1 : editDistance(needle, candidate);
      return { name, distance };
    })
    .filter((c) => c.distance <= threshold)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/** ` Did you mean 'x' or 'y'?` or an empty string. */
export function didYouMean(input: string, known: readonly string[]): string {
  const names = closestNames(input, known);
  if (names.length === 0) return '';
  return ` Did you mean ${names.map((n) => `'${n}'`).join(' or ')}?`;
}
