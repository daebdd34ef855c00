// ETags remembered from reads, per company/entity set/id, so PATCH and DELETE can send If-Match without the
// caller carrying them around. Bounded: least recently used entries are dropped first (Map keeps order).

export class EtagCache {
  private readonly entries = new Map<string, string>();

  constructor(readonly capacity = 2_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('EtagCache capacity must be a positive integer');
  }

  private static key(company: string, entitySet: string, id: string): string {
    return `${company.toLowerCase()}/${entitySet}/${id.toLowerCase()}`;
  }

  get(company: string, entitySet: string, id: string): string | undefined {
    const key = EtagCache.key(company, entitySet, id);
    const etag = this.entries.get(key);
    if (etag !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, etag);
    }
    return etag;
  }

  set(company: string, entitySet: string, id: string, etag: string): void {
    const key = EtagCache.key(company, entitySet, id);
    this.entries.delete(key);
    this.entries.set(key, etag);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(company: string, entitySet: string, id: string): void {
    this.entries.delete(EtagCache.key(company, entitySet, id));
  }

  /** Remembers the `@odata.etag` of a record that has an `id`. */
  remember(company: string, entitySet: string, record: unknown): void {
    if (typeof record !== 'object' || record === null) return;
    const { id, '@odata.etag': etag } = record as Record<string, unknown>;
    if (typeof id === 'string' && typeof etag === 'string') this.set(company, entitySet, id, etag);
  }

  get size(): number {
    return this.entries.size;
  }
}
