// The `odata.metadata` format parameter (OData JSON Format §3.1): `minimal` (the default, what BC answers
// with), or `none`, where the service omits all control information except `@odata.nextLink` and
// `@odata.count`. `full` is answered as minimal, and the response's Content-Type says so.
export type MetadataLevel = 'minimal' | 'none';

const KEPT_WITHOUT_METADATA = new Set(['@odata.nextLink', '@odata.count']);

/** The level a request asks for: `$format` wins over Accept (OData URL conventions §5.1.8). */
export function requestedMetadataLevel(accept: string | undefined, format: string | null): MetadataLevel {
  const mediaRanges = (format ?? accept ?? '').split(',');
  for (const range of mediaRanges) {
    const [type, ...parameters] = range.split(';').map((p) => p.trim().toLowerCase());
    if (type !== 'application/json' && type !== 'json' && type !== '*/*' && type !== 'application/*') continue;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((p) => p.trim());
      // 4.01 allows the parameter without its `odata.` prefix.
      if ((name === 'odata.metadata' || name === 'metadata') && value === 'none') return 'none';
    }
    return 'minimal';
  }
  return 'minimal';
}

/** A JSON payload without control information (`@odata.context`, `@odata.etag`, … also on expanded records). */
export function withoutControlInformation(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutControlInformation);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // Annotations of a property (`name@odata.type`) are control information too.
    if (key.includes('@odata.') && !KEPT_WITHOUT_METADATA.has(key)) continue;
    out[key] = withoutControlInformation(child);
  }
  return out;
}

export function jsonContentType(level: MetadataLevel): string {
  return `application/json; odata.metadata=${level}; charset=utf-8`;
}
