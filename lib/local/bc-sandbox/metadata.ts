// The EDMX `$metadata` document, built from the entity catalogue: one EntityType per served entity set (key `id`,
// documented properties with Edm types, read-only ones annotated as computed), enum types with their members,
// navigation properties between served sets, the entity container and the bound actions.
import { edmTypeOf } from './odata/filter-eval.js';
import { itemReservationsDefinition, standardDefinitionsList, type ApiKind, type EntitySetDefinition } from './schema.js';

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Enum member names as BC publishes them (XML-encoded: a space is `_x0020_`). */
function memberName(value: string): string {
  return value.replace(/[^A-Za-z0-9_]/g, (ch) => `_x${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}_`);
}

function entityType(definition: EntitySetDefinition, served: Set<string>): string {
  const properties = definition.properties.map((p) => {
    const nullable = p.name === 'id' ? ' Nullable="false"' : '';
    const computed = p.readOnly && p.name !== 'id' ? '<Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/>' : '';
    return computed
      ? `<Property Name="${p.name}" Type="${edmTypeOf(p)}"${nullable}>${computed}</Property>`
      : `<Property Name="${p.name}" Type="${edmTypeOf(p)}"${nullable}/>`;
  });
  const navigations = definition.navigationProperties
    .filter((n) => served.has(n.target))
    .map((n) => {
      const target = definitionsByName().get(n.target)!;
      const type = `Microsoft.NAV.${target.entityName}`;
      return `<NavigationProperty Name="${n.name}" Type="${n.collection ? `Collection(${type})` : type}"/>`;
    });
  return `<EntityType Name="${definition.entityName}"><Key><PropertyRef Name="id"/></Key>${properties.join('')}${navigations.join('')}</EntityType>`;
}

let cachedDefinitions: Map<string, EntitySetDefinition> | undefined;
function definitionsByName(): Map<string, EntitySetDefinition> {
  cachedDefinitions ??= new Map([...standardDefinitionsList(), itemReservationsDefinition].map((d) => [d.entitySet, d]));
  return cachedDefinitions;
}

const cache = new Map<ApiKind, string>();

export function buildMetadata(api: ApiKind): string {
  const cached = cache.get(api);
  if (cached) return cached;
  const definitions = api === 'inventory' ? [definitionsByName().get('companies')!, itemReservationsDefinition, definitionsByName().get('items')!, definitionsByName().get('locations')!] : standardDefinitionsList();
  const served = new Set(definitions.map((d) => d.entitySet));
  const enums = new Map<string, string[]>();
  for (const d of definitions) {
    for (const p of d.properties) if (p.type.startsWith('NAV.')) enums.set(p.type.slice(4), p.enumValues ?? enums.get(p.type.slice(4)) ?? []);
  }
  const enumTypes = [...enums].map(
    ([name, values]) =>
      `<EnumType Name="${name}">${values.map((v, i) => `<Member Name="${xml(memberName(v))}" Value="${i}"/>`).join('')}</EnumType>`,
  );
  const actions = definitions.flatMap((d) =>
    d.boundActions.map(
      (a) => `<Action Name="${a.replace(/^Microsoft\.NAV\./, '')}" IsBound="true"><Parameter Name="bindingParameter" Type="Microsoft.NAV.${d.entityName}"/></Action>`,
    ),
  );
  const sets = definitions.map((d) => {
    const bindings = d.navigationProperties
      .filter((n) => served.has(n.target))
      .map((n) => `<NavigationPropertyBinding Path="${n.name}" Target="${n.target}"/>`)
      .join('');
    return `<EntitySet Name="${d.entitySet}" EntityType="Microsoft.NAV.${d.entityName}">${bindings}</EntitySet>`;
  });
  const document =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">' +
    '<edmx:DataServices><Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">' +
    enumTypes.join('') +
    definitions.map((d) => entityType(d, served)).join('') +
    actions.join('') +
    `<EntityContainer Name="NAV">${sets.join('')}</EntityContainer>` +
    '</Schema></edmx:DataServices></edmx:Edmx>';
  cache.set(api, document);
  return document;
}
