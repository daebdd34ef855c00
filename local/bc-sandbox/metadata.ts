// The EDMX `$metadata` document, built from the entity catalogue: one EntityType per served entity set (key `id`,
// documented properties with Edm types, read-only ones annotated as computed), enum types with their members,
// navigation properties between served sets (as BC declares them), the entity container and the bound actions;
// and the JSON service document that lists the same entity sets.
import { edmTypeOf } from './odata/filter-eval.js';
import { itemReservationsDefinition, resolveNavigation, standardDefinitionsList, type ApiKind, type EntitySetDefinition } from './schema.js';

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Enum member names as BC publishes them (XML-encoded: a space is `_x0020_`). */
function memberName(value: string): string {
  return value.replace(/[^A-Za-z0-9_]/g, (ch) => `_x${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}_`);
}

let cachedDefinitions: Map<string, EntitySetDefinition> | undefined;
function definitionsByName(): Map<string, EntitySetDefinition> {
  cachedDefinitions ??= new Map([...standardDefinitionsList(), itemReservationsDefinition].map((d) => [d.entitySet, d]));
  return cachedDefinitions;
}

/** The entity sets an API serves, in the order $metadata and the service document list them. */
export function definitionsOf(api: ApiKind): EntitySetDefinition[] {
  const byName = definitionsByName();
  return api === 'inventory' ? [byName.get('companies')!, itemReservationsDefinition, byName.get('items')!, byName.get('locations')!] : standardDefinitionsList();
}

/**
 * The catalogue names a navigation's target by entity set (`salesOrderLines`, `items`) or, for a single-valued
 * one, by entity name (`paymentTerm`): either resolves to a served definition.
 */
function targetOf(target: string, served: EntitySetDefinition[]): EntitySetDefinition | undefined {
  return served.find((d) => d.entitySet === target) ?? served.find((d) => d.entityName === target);
}

/**
 * The navigation on the target that leads back over the same foreign key (salesOrder.salesOrderLines ↔
 * salesOrderLine.salesOrder): OData's Partner. The single-valued side is the back reference to its container.
 */
function partnerOf(definition: EntitySetDefinition, name: string, target: EntitySetDefinition, served: EntitySetDefinition[]): string | undefined {
  const resolution = resolveNavigation(definition, name);
  if (!resolution) return undefined;
  return target.navigationProperties.find((back) => {
    const backResolution = resolveNavigation(target, back.name);
    return backResolution !== undefined && backResolution.kind !== resolution.kind && backResolution.foreignKey === resolution.foreignKey && targetOf(back.target, served) === definition;
  })?.name;
}

/**
 * As BC declares them: a company contains its entity sets, a record contains the records it points to
 * (`paymentTerm`, with the foreign key as a referential constraint) and its lines; a line's way back to its
 * document is the non-containing partner of the document's lines.
 */
function navigationProperty(definition: EntitySetDefinition, navigation: EntitySetDefinition['navigationProperties'][number], served: EntitySetDefinition[]): string | undefined {
  const target = targetOf(navigation.target, served);
  if (!target) return undefined;
  const type = `Microsoft.NAV.${target.entityName}`;
  const resolution = resolveNavigation(definition, navigation.name);
  const partner = partnerOf(definition, navigation.name, target, served);
  const backReference = partner !== undefined && resolution?.kind === 'single';
  const attributes = [
    `Name="${navigation.name}"`,
    `Type="${navigation.collection ? `Collection(${type})` : type}"`,
    ...(partner ? [`Partner="${partner}"`] : []),
    ...(backReference ? [] : ['ContainsTarget="true"']),
  ].join(' ');
  const constraint =
    resolution?.kind === 'single' && definition.properties.some((p) => p.name === resolution.foreignKey)
      ? `<ReferentialConstraint Property="${resolution.foreignKey}" ReferencedProperty="id"/>`
      : '';
  return constraint ? `<NavigationProperty ${attributes}>${constraint}</NavigationProperty>` : `<NavigationProperty ${attributes}/>`;
}

function entityType(definition: EntitySetDefinition, served: EntitySetDefinition[]): string {
  const properties = definition.properties.map((p) => {
    const nullable = p.name === 'id' ? ' Nullable="false"' : '';
    const computed = p.readOnly && p.name !== 'id' ? '<Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/>' : '';
    return computed
      ? `<Property Name="${p.name}" Type="${edmTypeOf(p)}"${nullable}>${computed}</Property>`
      : `<Property Name="${p.name}" Type="${edmTypeOf(p)}"${nullable}/>`;
  });
  // A company contains every entity set of its API (the custom API's too), whatever the catalogue lists.
  const declared =
    definition.entitySet === 'companies'
      ? served.filter((d) => d !== definition).map((d) => ({ name: d.entitySet, target: d.entitySet, collection: true }))
      : definition.navigationProperties;
  const navigations = declared.flatMap((n) => navigationProperty(definition, n, served) ?? []);
  return `<EntityType Name="${definition.entityName}"><Key><PropertyRef Name="id"/></Key>${properties.join('')}${navigations.join('')}</EntityType>`;
}

const cache = new Map<ApiKind, string>();

export function buildMetadata(api: ApiKind): string {
  const cached = cache.get(api);
  if (cached) return cached;
  const definitions = definitionsOf(api);
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
  // Contained navigations have no binding: their targets live under the containing record, not in a set.
  const sets = definitions.map((d) => `<EntitySet Name="${d.entitySet}" EntityType="Microsoft.NAV.${d.entityName}"/>`);
  const document =
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">' +
    '<edmx:DataServices><Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">' +
    enumTypes.join('') +
    definitions.map((d) => entityType(d, definitions)).join('') +
    actions.join('') +
    `<EntityContainer Name="NAV">${sets.join('')}</EntityContainer>` +
    '</Schema></edmx:DataServices></edmx:Edmx>';
  cache.set(api, document);
  return document;
}

/** The OData JSON service document (`GET <service root>/`): the entity sets of the container. */
export function serviceDocument(api: ApiKind, serviceRoot: string): Record<string, unknown> {
  return {
    '@odata.context': `${serviceRoot}/$metadata`,
    value: definitionsOf(api).map((d) => ({ name: d.entitySet, kind: 'EntitySet', url: d.entitySet })),
  };
}
