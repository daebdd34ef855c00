// The Business Central extension of bc-extension/ against the contract the saga's client is built on
// (functions/core/bc/custom-apis.ts itemReservationsApi): the API page publishes exactly that route, entity
// set, fields and operations, the enum has the declared members, and every object id is inside app.json's
// idRanges. AL is not compiled here; this keeps the source and the declaration from drifting apart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemReservationsApi } from '../../functions/core/bc/custom-apis.js';
import { PROJECT_ROOT } from '../../lib/constructs/handler-function.js';

const root = join(PROJECT_ROOT, 'bc-extension');
const app = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8')) as {
  id: string; publisher: string; version: string; platform: string; application: string; runtime: string;
  idRanges: { from: number; to: number }[];
};
const sources = Object.fromEntries(readdirSync(join(root, 'src')).map((file) => [file, readFileSync(join(root, 'src', file), 'utf8')]));
const source = (suffix: string) => {
  const found = Object.entries(sources).filter(([file]) => file.endsWith(suffix));
  expect(found, `exactly one *${suffix}`).toHaveLength(1);
  return found[0]![1];
};
/** A quoted page property, e.g. APIPublisher = 'bcagent'; */
const property = (text: string, name: string) => new RegExp(`^\\s*${name}\\s*=\\s*'([^']*)';`, 'm').exec(text)?.[1];

describe('bc-extension app.json', () => {
  it('names a BC 2x application with an id, a version and id ranges', () => {
    expect(app.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(app.version).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const version of [app.platform, app.application]) expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(20);
    expect(app.idRanges.length).toBeGreaterThan(0);
  });

  it('declares every object inside its id ranges, each id once per object type', () => {
    const objects = Object.values(sources).flatMap((text) => [...text.matchAll(/^(table|page|codeunit|enum|permissionset)\s+(\d+)\s+"([^"]+)"/gm)]);
    expect(objects.map((m) => m[1]).sort()).toEqual(['codeunit', 'enum', 'page', 'permissionset', 'table']);
    for (const [, type, id, name] of objects) {
      expect(app.idRanges.some((r) => Number(id) >= r.from && Number(id) <= r.to), `${type} ${id} ${name}`).toBe(true);
    }
    const keys = objects.map((m) => `${m[1]} ${m[2]}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('the itemReservations API page', () => {
  const page = source('.Page.al');

  it('publishes the route and entity set the saga calls', () => {
    expect(page).toMatch(/^\s*PageType\s*=\s*API;/m);
    expect(property(page, 'APIPublisher')).toBe(itemReservationsApi.publisher);
    expect(property(page, 'APIGroup')).toBe(itemReservationsApi.group);
    expect(property(page, 'APIVersion')).toBe(itemReservationsApi.version);
    expect(property(page, 'EntitySetName')).toBe(itemReservationsApi.definition.entitySet);
    expect(property(page, 'EntityName')).toBe(itemReservationsApi.definition.entityName);
    expect(page).toMatch(/^\s*ODataKeyFields\s*=\s*SystemId;/m);
  });

  it('has exactly the declared fields in order, read-only where declared', () => {
    const fields = [...page.matchAll(/field\((\w+);\s*([^)]+)\)\s*\{([^}]*)\}/g)].map(([, name, , body]) => ({ name, readOnly: /Editable\s*=\s*false;/.test(body!) }));
    expect(fields).toEqual(itemReservationsApi.definition.properties.map((p) => ({ name: p.name, readOnly: p.readOnly === true })));
  });

  it('allows the declared operations only (GET, POST, DELETE; no PATCH)', () => {
    const operations = itemReservationsApi.definition.operations;
    expect(operations).not.toContain('PATCH');
    expect(page).toMatch(/^\s*ModifyAllowed\s*=\s*false;/m);
    expect(page).toMatch(/^\s*InsertAllowed\s*=\s*true;/m);
    expect(page).toMatch(/^\s*DeleteAllowed\s*=\s*true;/m);
  });
});

describe('the source type enum', () => {
  it('has the declared members in order', () => {
    const members = [...source('.Enum.al').matchAll(/value\(\d+;\s*"?([^")]+)"?\)/g)].map((m) => m[1]);
    const declared = itemReservationsApi.definition.properties.find((p) => p.name === 'sourceType')!.enumValues;
    expect(members).toEqual(declared);
  });
});

describe('the reservation codeunit', () => {
  const codeunit = source('.Codeunit.al');

  it('refuses with the messages the sandbox emulation gives', () => {
    const emulation = readFileSync(join(PROJECT_ROOT, 'local/bc-sandbox/reservations.ts'), 'utf8');
    for (const message of ['Quantity must be positive in Reservation Entry', 'You cannot reserve ']) {
      expect(codeunit).toContain(message);
      expect(emulation).toContain(message);
    }
  });

  it('releases an order\'s holds when the order is deleted', () => {
    expect(codeunit).toMatch(/EventSubscriber\(ObjectType::Table, Database::"Purchase Header", 'OnAfterDeleteEvent'/);
    expect(codeunit).toMatch(/EventSubscriber\(ObjectType::Table, Database::"Sales Header", 'OnAfterDeleteEvent'/);
  });
});
