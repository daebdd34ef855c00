// The document behind `bc://schemas/{entitySet}`: the entity set as BC's `$metadata` declares it (types,
// nullability, lengths, enum members, key, navigation) joined with what the catalogue documents and metadata
// does not say (read-only fields, operations, bound actions), plus whether this server lets tools write it.
import { getEntitySet } from '../core/bc/index.js';
import { parseEdmx, type EdmxEntityType } from './edmx.js';

export interface EntitySchemaDocument {
  entitySet: string;
  entityType: string;
  key: string[];
  properties: {
    name: string;
    type: string;
    nullable: boolean;
    readOnly: boolean;
    maxLength?: number;
    enumValues?: string[];
  }[];
  navigationProperties: { name: string; type: string; collection: boolean }[];
  operations: string[];
  boundActions: string[];
  writableThroughMcp: boolean;
}

export interface EntitySchemaCache {
  /** The entity set's schema from BC's `$metadata`; throws when BC's metadata does not declare the set. */
  get(entitySet: string): Promise<EdmxEntityType>;
}

/** Fetches and parses `$metadata` once; a failed fetch is not cached, so the next read retries. */
export function createEntitySchemaCache(fetchMetadata: () => Promise<string>): EntitySchemaCache {
  let parsed: Promise<Map<string, EdmxEntityType>> | undefined;
  return {
    async get(entitySet) {
      parsed ??= fetchMetadata().then(parseEdmx);
      let sets: Map<string, EdmxEntityType>;
      try {
        sets = await parsed;
      } catch (error) {
        parsed = undefined;
        throw error;
      }
      const found = sets.get(entitySet);
      if (!found) throw new Error(`BC's $metadata does not declare the entity set '${entitySet}'`);
      return found;
    },
  };
}

export function entitySchemaDocument(metadata: EdmxEntityType, writableThroughMcp: boolean): EntitySchemaDocument {
  const documented = getEntitySet(metadata.entitySet);
  return {
    entitySet: metadata.entitySet,
    entityType: metadata.entityType,
    key: metadata.key,
    properties: metadata.properties.map((p) => {
      const doc = documented.properties.find((d) => d.name === p.name);
      const enumValues = p.enumMembers ?? doc?.enumValues;
      return {
        name: p.name,
        type: p.type,
        nullable: p.nullable,
        readOnly: doc?.readOnly ?? false,
        ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}),
        ...(enumValues ? { enumValues } : {}),
      };
    }),
    navigationProperties: metadata.navigationProperties,
    operations: documented.operations,
    boundActions: documented.boundActions,
    writableThroughMcp,
  };
}
