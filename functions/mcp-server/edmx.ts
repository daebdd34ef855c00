// Reads the parts of BC's `$metadata` (OData CSDL/EDMX XML) the schema resources need: entity sets, their
// entity types (key, properties with type/nullability/length, navigation properties) and enum members.
// BC's document is machine-generated and regular, so attribute-level scanning is enough; no DOM is built.

export interface EdmxProperty {
  name: string;
  /** As declared, e.g. `Edm.String`, `Edm.Decimal`, `Microsoft.NAV.contactType`. */
  type: string;
  nullable: boolean;
  maxLength?: number;
  enumMembers?: string[];
}

export interface EdmxNavigationProperty {
  name: string;
  /** `Microsoft.NAV.customer` or `Collection(Microsoft.NAV.salesOrderLine)`. */
  type: string;
  collection: boolean;
}

export interface EdmxEntityType {
  entitySet: string;
  /** Qualified type name, e.g. `Microsoft.NAV.customer`. */
  entityType: string;
  key: string[];
  properties: EdmxProperty[];
  navigationProperties: EdmxNavigationProperty[];
}

/** Entity types by entity-set name. Throws when the document is not EDMX. */
export function parseEdmx(xml: string): Map<string, EdmxEntityType> {
  if (!/<edmx:Edmx\b/.test(xml)) throw new Error('Not an EDMX document: BC $metadata expected');

  const enumMembers = new Map<string, string[]>();
  const typesByName = new Map<string, Omit<EdmxEntityType, 'entitySet'>>();

  for (const schema of elements(xml, 'Schema')) {
    const namespace = attributes(schema.open).Namespace ?? '';
    for (const enumType of elements(schema.inner, 'EnumType')) {
      const name = attributes(enumType.open).Name;
      if (!name) continue;
      const members = [...enumType.inner.matchAll(/<Member\b[^>]*>/g)].map((m) => attributes(m[0]).Name ?? '');
      enumMembers.set(`${namespace}.${name}`, members.filter(Boolean));
    }
    for (const entityType of elements(schema.inner, 'EntityType')) {
      const name = attributes(entityType.open).Name;
      if (!name) continue;
      const key = [...entityType.inner.matchAll(/<PropertyRef\b[^>]*>/g)].map((m) => attributes(m[0]).Name ?? '');
      const properties = [...entityType.inner.matchAll(/<Property\b[^>]*>/g)].map((m) => {
        const a = attributes(m[0]);
        const maxLength = a.MaxLength !== undefined ? Number(a.MaxLength) : undefined;
        return {
          name: a.Name ?? '',
          type: a.Type ?? '',
          nullable: a.Nullable !== 'false',
          ...(maxLength !== undefined && Number.isFinite(maxLength) ? { maxLength } : {}),
        };
      });
      const navigationProperties = [...entityType.inner.matchAll(/<NavigationProperty\b[^>]*>/g)].map((m) => {
        const a = attributes(m[0]);
        const type = a.Type ?? '';
        return { name: a.Name ?? '', type, collection: type.startsWith('Collection(') };
      });
      typesByName.set(`${namespace}.${name}`, {
        entityType: `${namespace}.${name}`,
        key: key.filter(Boolean),
        properties,
        navigationProperties,
      });
    }
  }

  const sets = new Map<string, EdmxEntityType>();
  for (const match of xml.matchAll(/<EntitySet\b[^>]*>/g)) {
    const a = attributes(match[0]);
    const type = a.EntityType ? typesByName.get(a.EntityType) : undefined;
    if (!a.Name || !type) continue;
    sets.set(a.Name, {
      entitySet: a.Name,
      ...type,
      properties: type.properties.map((p) =>
        enumMembers.has(p.type) ? { ...p, enumMembers: enumMembers.get(p.type) } : p,
      ),
    });
  }
  return sets;
}

/** Non-nested occurrences of `<tag ...>...</tag>` (self-closing ones have an empty body). */
function* elements(xml: string, tag: string): Generator<{ open: string; inner: string }> {
  const pattern = new RegExp(`<${tag}\\b[^>]*?(/?)>`, 'g');
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(xml))) {
    if (match[1] === '/') {
      yield { open: match[0], inner: '' };
      continue;
    }
    const close = xml.indexOf(`</${tag}>`, pattern.lastIndex);
    if (close === -1) return;
    yield { open: match[0], inner: xml.slice(pattern.lastIndex, close) };
    pattern.lastIndex = close + tag.length + 3;
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const raw = m[2] ?? m[3] ?? '';
    result[m[1]!] = raw.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]!);
  }
  return result;
}
