// Rebuilds reference/bc-api-v2.0-reference.json from Microsoft's sources, so the catalogue is extracted, not
// hand-typed:
//   - the API v2.0 documentation (MicrosoftDocs/dynamics365smb-devitpro-pb, dev-itpro/api-reference/v2.0):
//     the company resource's Navigation table names the entity sets; each resource page gives the entity's
//     methods, bound actions, navigation and properties; the GET operation page gives the URL (parent path);
//   - the API v2.0 pages' AL source (microsoft/BCApps, src/Apps/W1/APIV2/app/src/pages): which fields the page
//     makes non-editable (`Editable = false`) and whether the page allows inserts and modifications. The docs
//     are silent on most fields (their `readOnly` stays null), so this is what decides read-only in the end.
// Curated entities already in the reference (those with operationDetails) keep their extras (notes, examples);
// every other entity is rebuilt, and every entity gets its API page's facts. Run with two git directories (e.g. mirrors fetched by the search tool):
//   npx tsx scripts/extract-bc-reference.ts --docs <git-dir of dynamics365smb-devitpro-pb> --al <git-dir of BCApps>
// then `npx tsx scripts/gen-bc-entities.ts`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const DOCS_REPOSITORY = 'https://github.com/MicrosoftDocs/dynamics365smb-devitpro-pb';
const AL_REPOSITORY = 'https://github.com/microsoft/BCApps';
const RESOURCES = 'dev-itpro/api-reference/v2.0/resources/';
const OPERATIONS = 'dev-itpro/api-reference/v2.0/api/';
const AL_PAGES = 'src/Apps/W1/APIV2/app/src/pages/';

/**
 * Company navigations that are not record entity sets: computed reports and statements (no key, no writes),
 * binary media streams and nested detail views. Everything else the company resource lists is extracted.
 */
const NOT_RECORD_SETS = new Set([
  'agedAccountsReceivables', 'agedAccountsPayables', 'cashFlowStatements', 'retainedEarningsStatements',
  'balanceSheets', 'trialBalances', 'incomeStatements', 'customerFinancialDetails', 'pictures', 'pdfDocument',
  'companyInformation', 'generalLedgerSetup', 'workflowApprovers',
]);

export interface AlField { name: string; editable: boolean }
export interface AlPage {
  file: string;
  entityName: string;
  entitySetName: string;
  /** Page-level `Editable`, `InsertAllowed`, `ModifyAllowed`, `DeleteAllowed` (true unless set to false). */
  editable: boolean;
  insertAllowed: boolean;
  modifyAllowed: boolean;
  deleteAllowed: boolean;
  fields: AlField[];
}

/** The facts of an AL API page that decide what a client may write. */
export function parseAlPage(file: string, source: string): AlPage | undefined {
  const header = source.split(/\n\s*layout\s*\n/)[0] ?? source;
  const property = (name: string): string | undefined =>
    new RegExp(`^\\s*${name}\\s*=\\s*'?([^';]*)'?\\s*;`, 'mi').exec(header)?.[1]?.trim();
  if (!/v2\.0/.test(property('APIVersion') ?? '')) return undefined;
  const entityName = property('EntityName');
  const entitySetName = property('EntitySetName');
  if (!entityName || !entitySetName) return undefined;
  const allowed = (name: string) => property(name)?.toLowerCase() !== 'false';
  const fields: AlField[] = [];
  const fieldStart = /^\s*field\("?(\w+)"?;[^\n]*\)\s*$/gm;
  for (let match = fieldStart.exec(source); match; match = fieldStart.exec(source)) {
    const open = source.indexOf('{', match.index + match[0].length);
    let depth = 0;
    let end = open;
    for (; end < source.length; end++) {
      if (source[end] === '{') depth++;
      else if (source[end] === '}' && --depth === 0) break;
    }
    const block = source.slice(open, end);
    fields.push({ name: match[1]!, editable: !/^\s*Editable\s*=\s*false\s*;/im.test(block) });
  }
  return {
    file,
    entityName,
    entitySetName,
    editable: allowed('Editable'),
    insertAllowed: allowed('InsertAllowed'),
    modifyAllowed: allowed('ModifyAllowed'),
    deleteAllowed: allowed('DeleteAllowed'),
    fields,
  };
}

interface DocProperty { name: string; type: string; readOnly: true | null; description: string; enumValues?: string[] }
interface DocNavigation { name: string; target: string; targetDoc: string; collection: boolean; collectionInferred: true; description: string }

function section(markdown: string, title: string): string {
  const start = markdown.search(new RegExp(`^##\\s+${title}\\s*$`, 'mi'));
  if (start === -1) return '';
  const rest = markdown.slice(start).split('\n').slice(1).join('\n');
  const next = rest.search(/^##\s/m);
  return next === -1 ? rest : rest.slice(0, next);
}

function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) => line.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim()))
    .filter((cells) => !cells.every((cell) => /^:?-+:?$/.test(cell)))
    .slice(1); // the header row
}

const plain = (text: string) =>
  text.replace(/\[!INCLUDE\[prod_short\][^\]]*\]/g, 'Business Central').replace(/\s+/g, ' ').trim();

/** Allowed values a description lists as `"A", "B" or "C"`. */
function enumValuesOf(type: string, description: string): string[] | undefined {
  if (!type.startsWith('NAV.')) return undefined;
  const quoted = [...description.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  return quoted.length >= 2 ? quoted : undefined;
}

/** One resource page, in the reference's entity format. */
export function parseResourcePage(doc: string, markdown: string) {
  const entityName = /^#\s+(\w+)\s+resource type/m.exec(markdown)?.[1];
  if (!entityName) throw new Error(`${doc}: no '# <entity> resource type' title`);
  const intro = markdown.split(/^##\s/m)[0]!.split('\n').filter((line) => /^Represents\b/.test(line.trim()));
  const methods = tableRows(section(markdown, 'Methods')).map((cells) => /\[(\w+)\s/.exec(cells[0] ?? '')?.[1]?.toUpperCase());
  const operations: string[] = [];
  if (methods.some((m) => m === 'GET' || m === 'LIST')) operations.push('GET list', 'GET by id');
  for (const verb of ['POST', 'PATCH', 'DELETE']) if (methods.includes(verb)) operations.push(verb);
  const boundActions = [...new Set([...section(markdown, 'Bound actions').matchAll(/called `(\w+)`/g)].map((m) => `Microsoft.NAV.${m[1]}`))];
  const navigationProperties: DocNavigation[] = tableRows(section(markdown, 'Navigation')).flatMap((cells) => {
    const link = /\[(\w+)\]\(([^)]+)\)/.exec(cells[0] ?? '');
    if (!link) return [];
    const name = link[1]!;
    return [{ name, target: name, targetDoc: link[2]!, collection: name.endsWith('s'), collectionInferred: true, description: plain(cells[2] ?? '') }];
  });
  const properties: DocProperty[] = tableRows(section(markdown, 'Properties')).flatMap((cells) => {
    const [name, type, ...rest] = cells;
    if (!name || !type || !/^\w+$/.test(name)) return [];
    const description = plain(rest.join('|'));
    const enumValues = enumValuesOf(type, description);
    return [{
      name,
      type,
      readOnly: /read-only|non-editable|readonly/i.test(description) ? true : null,
      description,
      ...(enumValues ? { enumValues } : {}),
    }];
  });
  const json = /```json\s*\n([\s\S]*?)```/.exec(section(markdown, 'JSON representation'))?.[1];
  let exampleJson: unknown;
  try {
    exampleJson = json ? JSON.parse(json) : undefined;
  } catch {
    exampleJson = json; // some pages' examples are not strict JSON: kept verbatim
  }
  return { entityName, doc, summary: plain(intro[0] ?? ''), properties, navigationProperties, operations, boundActions, ...(exampleJson !== undefined ? { exampleJson } : {}) };
}

/**
 * The parent of a document's lines, from the first URL of the GET page:
 * `companies({id})/salesInvoices({id})/salesInvoiceLines({id})` → `salesInvoices({id})`. Only a parent whose
 * entity name the child's starts with counts (salesInvoice → salesInvoiceLine, journal → journalLine,
 * dimension → dimensionValue); sets reachable under several parents (dimensionSetLines, contactsInformation)
 * are company-level.
 */
export function parentPathOf(operationPage: string, entityName: string, entityNameOf: (set: string) => string | undefined): string | null {
  const url = /(?:GET|PATCH|DELETE)\s+\S*?companies\(\{id\}\)\/(\S+)/.exec(operationPage)?.[1];
  if (!url) return null;
  const segments = url.split('/');
  if (segments.length < 2) return null;
  const parentSet = segments[segments.length - 2]!.replace(/\(\{\w+\}\)/, '');
  const parentName = entityNameOf(parentSet);
  return parentName && entityName.startsWith(parentName) && entityName !== parentName ? `${parentSet}({id})` : null;
}

function main(): void {
  const { values } = parseArgs({ options: { docs: { type: 'string' }, al: { type: 'string' } }, strict: true });
  if (!values.docs || !values.al) throw new Error('usage: npx tsx scripts/extract-bc-reference.ts --docs <git-dir> --al <git-dir>');
  const git = (gitDir: string, ...args: string[]) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const docsCommit = git(values.docs, 'rev-parse', 'HEAD').trim();
  const docsDate = git(values.docs, 'log', '-1', '--format=%cI', docsCommit).trim();
  const alCommit = git(values.al, 'rev-parse', 'HEAD').trim();
  const docFiles = git(values.docs, 'ls-tree', '--name-only', docsCommit, RESOURCES, OPERATIONS).split('\n').filter(Boolean);
  const docPath = (name: string) => docFiles.find((file) => file.toLowerCase() === name.toLowerCase());
  const show = (gitDir: string, commit: string, path: string) => git(gitDir, 'show', `${commit}:${path}`);

  const pages = new Map<string, AlPage>();
  for (const file of git(values.al, 'ls-tree', '--name-only', alCommit, AL_PAGES).split('\n').filter((f) => f.endsWith('.Page.al'))) {
    const page = parseAlPage(file, show(values.al, alCommit, file));
    if (page && !pages.has(page.entitySetName)) pages.set(page.entitySetName, page);
  }

  const root = fileURLToPath(new URL('..', import.meta.url));
  const referencePath = `${root}reference/bc-api-v2.0-reference.json`;
  const reference = JSON.parse(readFileSync(referencePath, 'utf8'));
  const company = show(values.docs, docsCommit, `${RESOURCES}dynamics_company.md`);
  const listed = tableRows(section(company, 'Navigation')).flatMap((cells) => {
    const link = /\[(\w+)\]\(([^)]+)\)/.exec(cells[0] ?? '');
    return link ? [{ entitySet: link[1]!, doc: docPath(`${RESOURCES}${link[2]!}`) }] : [];
  });

  const entities: Record<string, any> = {};
  // The curated entries (with per-operation examples) are kept; every other entry is rebuilt from the sources.
  for (const name of Object.keys(reference.entities)) if (reference.entities[name].operationDetails) entities[name] = reference.entities[name];
  const skipped: string[] = [];
  for (const { entitySet, doc } of listed) {
    if (entities[entitySet] || NOT_RECORD_SETS.has(entitySet)) continue;
    if (!doc || !pages.has(entitySet)) {
      skipped.push(`${entitySet} (${doc ? 'no API v2.0 page in the AL source' : 'no resource page'})`);
      continue;
    }
    const parsed = parseResourcePage(doc, show(values.docs, docsCommit, doc));
    if (!parsed.properties.some((p) => p.name === 'id')) {
      skipped.push(`${entitySet} (no id: a keyless view, not addressable as companies({id})/${entitySet}({id}))`);
      continue;
    }
    const getPage = docPath(`${OPERATIONS}dynamics_${parsed.entityName}_get.md`) ?? docPath(`${OPERATIONS}dynamics_${parsed.entityName}s_get.md`);
    const lastCommit = git(values.docs, 'log', '-1', '--format=%H %cs', docsCommit, '--', doc).trim();
    entities[entitySet] = {
      entityName: parsed.entityName,
      doc,
      docLastCommit: lastCommit,
      summary: parsed.summary,
      properties: parsed.properties,
      navigationProperties: parsed.navigationProperties,
      operations: parsed.operations,
      boundActions: parsed.boundActions,
      parentPath: getPage ? parentPathOf(show(values.docs, docsCommit, getPage), parsed.entityName, (set) => pages.get(set)?.entityName) : null,
      ...(parsed.exampleJson !== undefined ? { exampleJson: parsed.exampleJson } : {}),
    };
  }

  // Every entity, curated or new, gets its API page's facts.
  for (const [entitySet, entity] of Object.entries(entities)) {
    const page = pages.get(entitySet);
    if (!page) {
      // `companies` is a platform page, not part of the API v2.0 app: it only reads, as its docs say.
      const writes = entity.operations.some((o: string) => o !== 'GET list' && o !== 'GET by id');
      if (writes) throw new Error(`no API v2.0 page in the AL source declares EntitySetName = '${entitySet}'`);
      entity.apiPage = null;
      for (const property of entity.properties) property.editableInApiPage = null;
      continue;
    }
    entity.apiPage = {
      file: page.file,
      editable: page.editable,
      insertAllowed: page.insertAllowed,
      modifyAllowed: page.modifyAllowed,
      deleteAllowed: page.deleteAllowed,
    };
    for (const property of entity.properties) {
      const field = page.fields.find((f) => f.name === property.name);
      property.editableInApiPage = field ? field.editable && page.editable : null;
    }
  }

  reference.source = `MicrosoftDocs/dynamics365smb-devitpro-pb, dev-itpro/api-reference/v2.0 (commit ${docsCommit}, snapshot commit date ${docsDate}); microsoft/BCApps, ${AL_PAGES} (commit ${alCommit})`;
  reference.generatedFrom.repository = DOCS_REPOSITORY;
  reference.generatedFrom.commit = docsCommit;
  reference.generatedFrom.alSource = { repository: AL_REPOSITORY, commit: alCommit, pageFolder: AL_PAGES };
  reference.generatedFrom.extractedBy = 'scripts/extract-bc-reference.ts';
  const convention =
    "properties[].editableInApiPage is from the entity's AL API page (microsoft/BCApps): false where the field or the page says `Editable = false`, true otherwise, null where the page has no such field. apiPage gives the page's Insert/Modify/DeleteAllowed. Together with the docs' Read-Only/Non-editable marks they decide read-only.";
  reference.generatedFrom.conventions = [
    ...reference.generatedFrom.conventions.filter((c: string) => !c.startsWith('properties[].editableInApiPage')),
    convention,
  ];
  reference.entities = entities;
  writeFileSync(referencePath, `${JSON.stringify(reference, null, 2)}\n`);
  console.log(`wrote ${Object.keys(entities).length} entity sets (${AL_PAGES} @ ${alCommit.slice(0, 12)}, docs @ ${docsCommit.slice(0, 12)})`);
  if (skipped.length) console.log(`skipped: ${skipped.join(', ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
