// Per-user BC permissions and authorship: requests made with on-behalf-of tokens run under the user's permission
// sets (alice reads, carol reads and writes), a denied request gets BC's own permission error and changes
// nothing, and BC's change log records who wrote each record. Covers single requests, $batch parts and bound
// actions, and a custom permission set configured through /_admin/directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateJwtKeys, signLocalToken, type LocalJwtKeys } from '../../../../local/cloud/jwt.js';
import { startBcSandbox, type BcSandbox, type ChangeLogEntry, type DirectoryConfig } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient } from '../../../support/sandbox-client.js';

const ISSUER = 'http://127.0.0.1/local-issuer';
const AUDIENCE = 'bc-agent-api';
const stateDir = mkdtempSync(join(tmpdir(), 'bc-permissions-'));
let keys: LocalJwtKeys;
let sandbox: BcSandbox;

beforeAll(async () => {
  keys = await loadOrCreateJwtKeys(stateDir);
  sandbox = await startBcSandbox({ userAssertions: { issuer: ISSUER, audience: [AUDIENCE], publicKey: keys.publicKey } });
});
beforeEach(() => {
  sandbox.reset();
  sandbox.clearRequests();
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** A BC token acting for `user`, obtained as a worker would: the user's token exchanged on-behalf-of. */
async function tokenFor(user: string): Promise<string> {
  const assertion = await signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub: user, tenant: 'local', entra: true });
  return sandbox.getUserToken(assertion);
}

async function as(user: string): Promise<SandboxClient> {
  return new SandboxClient(sandbox, await tokenFor(user));
}

const permissionError = (table: string, permission: string) =>
  expect.objectContaining({
    error: {
      code: 'Internal_ServerError',
      message: expect.stringMatching(new RegExp(`^Sorry, the current permissions prevented the action\\. \\(TableData ${table.replace(/[.()/]/g, '\\$&')} ${permission}: Base Application\\)\\.  CorrelationId:  [0-9a-f-]{36}\\.$`)),
    },
  });

async function changesOverHttp(query: string): Promise<ChangeLogEntry[]> {
  const response = await fetch(`${sandbox.url}/_admin/changes?${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: ChangeLogEntry[] }).value;
}

describe('permission sets', () => {
  it('lets alice read customers but not create, modify or delete them, with BC permission errors that change nothing', async () => {
    const alice = await as('alice');
    const customers = await alice.list(alice.company('customers'));
    expect(customers.length).toBeGreaterThan(0);

    const created = await alice.post(alice.company('customers'), { displayName: 'Alice Would Like This' });
    expect(created.status).toBe(403);
    expect(created.body).toEqual(permissionError('18 Customer', 'Insert'));
    expect(created.headers.get('odata-version')).toBe('4.0');

    const [first] = customers;
    const patched = await alice.patch(alice.company(`customers(${first.id})`), { displayName: 'Renamed' }, first['@odata.etag']);
    expect(patched.status).toBe(403);
    expect(patched.body).toEqual(permissionError('18 Customer', 'Modify'));
    const deleted = await alice.delete(alice.company(`customers(${first.id})`), first['@odata.etag']);
    expect(deleted.body).toEqual(permissionError('18 Customer', 'Delete'));

    // Nothing was stored or changed, and nothing was logged; the request log shows the calls were alice's.
    expect(await alice.list(alice.company('customers'))).toEqual(customers);
    expect(sandbox.changes()).toEqual([]);
    expect(sandbox.requests().filter((r) => r.method === 'POST').map((r) => [r.entitySet, r.userId])).toEqual([['customers', 'ALICE']]);
  });

  it('lets carol create and change a customer and records carol as the author', async () => {
    const carol = await as('carol');
    const created = await carol.post(carol.company('customers'), { displayName: 'Carol Created' });
    expect(created.status).toBe(201);
    const patched = await carol.patch(carol.company(`customers(${created.body.id})`), { displayName: 'Carol Renamed' }, created.headers.get('etag')!);
    expect(patched.status).toBe(200);

    const carolUser = sandbox.directory().users.find((u) => u.userName === 'CAROL')!;
    const entries = await changesOverHttp(`entitySet=customers&recordId=${created.body.id}`);
    expect(entries.map((e) => [e.typeOfChange, e.userId, e.userSecurityId, e.principal])).toEqual([
      ['Insertion', 'CAROL', carolUser.userSecurityId, 'user'],
      ['Modification', 'CAROL', carolUser.userSecurityId, 'user'],
    ]);
    expect(entries[0]).toMatchObject({ tableNumber: 18, tableCaption: 'Customer', primaryKey: `No.='${created.body.number}'`, companyId: carol.companyId });
    expect(entries[0]!.fields).toContainEqual({ field: 'displayName', newValue: 'Carol Created' });
    expect(entries[1]!.fields).toContainEqual({ field: 'displayName', oldValue: 'Carol Created', newValue: 'Carol Renamed' });
    expect(await changesOverHttp('userId=alice')).toEqual([]);
  });

  it('checks bound actions: alice may not post a purchase order, carol may, and the posting is hers', async () => {
    const alice = await as('alice');
    const [order] = await alice.list(alice.company('purchaseOrders?$top=1'));
    const action = alice.company(`purchaseOrders(${order.id})/Microsoft.NAV.receiveAndInvoice`);
    const refused = await alice.post(action, undefined);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(permissionError('38 Purchase Header', 'Modify'));
    expect((await alice.get(alice.company(`purchaseOrders(${order.id})`))).status).toBe(200);

    const carol = await as('carol');
    expect((await carol.post(action, undefined)).status).toBe(204);
    const posting = sandbox.changes();
    expect(new Set(posting.map((e) => e.userId))).toEqual(new Set(['CAROL']));
    expect(posting).toContainEqual(expect.objectContaining({ entitySet: 'purchaseOrders', recordId: order.id, typeOfChange: 'Deletion' }));
    expect(posting).toContainEqual(expect.objectContaining({ entitySet: 'itemLedgerEntries', typeOfChange: 'Insertion' }));
  });

  it('denies the forbidden part of a $batch and runs the others', async () => {
    const alice = await as('alice');
    const response = await alice.post('$batch', {
      requests: [
        { id: 'read', method: 'GET', url: alice.company('customers?$top=1') },
        { id: 'write', method: 'POST', url: alice.company('customers'), headers: { 'Content-Type': 'application/json' }, body: { displayName: 'Batch Write' } },
      ],
    });
    expect(response.status).toBe(200);
    const [read, write] = response.body.responses;
    expect(read.status).toBe(200);
    expect(write.status).toBe(403);
    expect(write.body).toEqual(permissionError('18 Customer', 'Insert'));
    expect(sandbox.changes()).toEqual([]);
  });

  it('denies a multipart change set that writes, keeping the read part of the batch', async () => {
    const alice = await as('alice');
    const httpPart = (requestLine: string, body?: unknown) => [
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      requestLine,
      ...(body === undefined ? [''] : ['Content-Type: application/json', '', JSON.stringify(body)]),
    ];
    const multipart = (boundary: string, parts: string[][]) => `${parts.map((lines) => `--${boundary}\r\n${lines.join('\r\n')}`).join('\r\n')}\r\n--${boundary}--\r\n`;
    const body = multipart('batch_1', [
      httpPart(`GET ${alice.company('customers?$top=1')} HTTP/1.1`),
      ['Content-Type: multipart/mixed; boundary=cs_1', '', multipart('cs_1', [httpPart(`POST ${alice.company('customers')} HTTP/1.1`, { displayName: 'Changeset Write' })])],
    ]);
    const answer = await fetch(`${sandbox.apiUrl}/$batch`, { method: 'POST', headers: { Authorization: `Bearer ${await tokenFor('alice')}`, 'Content-Type': 'multipart/mixed; boundary=batch_1' }, body });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(text).toContain('HTTP/1.1 200 OK');
    expect(text).toContain('HTTP/1.1 403 Forbidden');
    expect(text).toContain('(TableData 18 Customer Insert: Base Application)');
    expect(sandbox.changes()).toEqual([]);
  });
});

describe('change log', () => {
  it('leaves no entry for a write that is rolled back (a deep insert with a bad line)', async () => {
    const carol = await as('carol');
    const [customer] = await carol.list(carol.company('customers?$top=1'));
    const response = await carol.post(carol.company('salesOrders'), {
      customerNumber: customer.number,
      salesOrderLines: [{ lineType: 'Item', itemId: '00000000-0000-0000-0000-00000000abcd', quantity: 1 }],
    });
    expect(response.status).toBe(400);
    expect(sandbox.changes()).toEqual([]);
  });

  it('survives a restart with the state file, and is filtered by entry number', async () => {
    const stateFile = join(stateDir, 'bc-state.json');
    const first = await startBcSandbox({ stateFile, userAssertions: { issuer: ISSUER, audience: AUDIENCE, publicKey: keys.publicKey } });
    let recordId: string;
    try {
      const assertion = await signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub: 'carol', tenant: 'local', entra: true });
      const carol = new SandboxClient(first, await first.getUserToken(assertion));
      recordId = (await carol.post(carol.company('customers'), { displayName: 'Durable Author' })).body.id;
      await carol.post(carol.company('customers'), { displayName: 'Second' });
    } finally {
      await first.stop();
    }
    const second = await startBcSandbox({ stateFile });
    try {
      expect(second.changes().map((e) => [e.entryNumber, e.userId])).toEqual([[1, 'CAROL'], [2, 'CAROL']]);
      expect(second.changes()[0]!.recordId).toBe(recordId);
      const response = await fetch(`${second.url}/_admin/changes?since=1`);
      expect(((await response.json()) as { value: ChangeLogEntry[] }).value.map((e) => e.entryNumber)).toEqual([2]);
      expect((await fetch(`${second.url}/_admin/changes?since=soon`)).status).toBe(400);
    } finally {
      await second.stop();
    }
  });
});

describe('a custom permission set', () => {
  const dave = { userName: 'DAVE', authenticationObjectId: 'dave', permissionSets: ['D365 CUSTOMER, EDIT', 'ORDERS READ'] };
  const custom = (): DirectoryConfig => {
    const directory = sandbox.directory();
    return {
      ...directory,
      users: [...directory.users, dave],
      permissionSets: [...directory.permissionSets, { roleId: 'ORDERS READ', permissions: { 'Sales Header': 'R', 'Sales Line': 'R' } }],
    };
  };

  async function putDirectory(body: unknown): Promise<Response> {
    return fetch(`${sandbox.url}/_admin/directory`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('grants exactly its tables: customers writable, orders readable, the rest (and expanding into it) denied', async () => {
    expect((await putDirectory(custom())).status).toBe(200);
    const client = await as('dave');
    expect((await client.post(client.company('customers'), { displayName: 'Dave Made' })).status).toBe(201);
    expect((await client.get(client.company('salesOrders?$top=1'))).status).toBe(200);
    expect((await client.get(client.company('vendors'))).body).toEqual(permissionError('23 Vendor', 'Read'));
    expect((await client.get(client.company('items/$count'))).body).toEqual(permissionError('27 Item', 'Read'));
    expect((await client.get(client.company('salesOrders?$top=1&$expand=salesOrderLines'))).status).toBe(200);
    expect((await client.get(client.company('purchaseOrders?$top=1'))).body).toEqual(permissionError('38 Purchase Header', 'Read'));
    const [order] = await client.list(client.company('salesOrders?$top=1'));
    expect((await client.get(client.company(`salesOrders(${order.id})?$expand=salesOrderLines($expand=item)`))).body).toEqual(permissionError('27 Item', 'Read'));
  });

  it('needs Insert on the lines table too for a deep insert', async () => {
    const directory = custom();
    directory.permissionSets.push({ roleId: 'ORDER HEADERS', permissions: { 'Sales Header': 'RIMD', Customer: 'R', Item: 'R' } });
    directory.users.push({ userName: 'ERIN', authenticationObjectId: 'erin', permissionSets: ['ORDER HEADERS'] });
    expect((await putDirectory(directory)).status).toBe(200);
    const erin = await as('erin');
    const [customer] = await erin.list(erin.company('customers?$top=1'));
    const [item] = await erin.list(erin.company(`items?$top=1&$filter=blocked eq false and type eq 'Inventory'`));
    const deep = await erin.post(erin.company('salesOrders'), { customerNumber: customer.number, salesOrderLines: [{ lineType: 'Item', itemId: item.id, quantity: 1 }] });
    expect(deep.body).toEqual(permissionError('37 Sales Line', 'Insert'));
    expect(sandbox.changes()).toEqual([]);
    expect((await erin.post(erin.company('salesOrders'), { customerNumber: customer.number })).status).toBe(201);
  });

  it('rolls back an atomic batch group when one of its parts is denied', async () => {
    await putDirectory(custom());
    const client = await as('dave');
    const response = await client.post('$batch', {
      requests: [
        { id: '1', atomicityGroup: 'g', method: 'POST', url: client.company('customers'), headers: { 'Content-Type': 'application/json' }, body: { displayName: 'Group Customer' } },
        { id: '2', atomicityGroup: 'g', method: 'POST', url: client.company('items'), headers: { 'Content-Type': 'application/json' }, body: { displayName: 'Group Item' } },
      ],
    });
    const statuses = response.body.responses.map((r: { status: number }) => r.status);
    expect(statuses).toEqual([424, 403]);
    expect(response.body.responses[1].body).toEqual(permissionError('27 Item', 'Insert'));
    expect(await client.list(client.company(`customers?$filter=displayName eq 'Group Customer'`))).toEqual([]);
    expect(sandbox.changes()).toEqual([]);
  });

  it('refuses a directory that names an undefined permission set or bad rights, keeping the one in force', async () => {
    const before = sandbox.directory();
    const undefinedSet = await putDirectory({ ...before, users: [...before.users, { ...dave, permissionSets: ['NO SUCH SET'] }] });
    expect(undefinedSet.status).toBe(400);
    expect(((await undefinedSet.json()) as { error: { message: string } }).error.message).toContain("'NO SUCH SET', which is not defined");
    const badRights = await putDirectory({ ...before, permissionSets: [...before.permissionSets, { roleId: 'X', permissions: { Customer: 'RWX' } }] });
    expect(badRights.status).toBe(400);
    expect(sandbox.directory()).toEqual(before);
    // An unknown user cannot get a token at all.
    const assertion = await signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub: 'dave', tenant: 'local', entra: true });
    await expect(sandbox.getUserToken(assertion)).rejects.toMatchObject({ error: 'invalid_grant', errorCodes: [50034] });
  });

  it('takes a permission change away from a user whose token is already issued', async () => {
    const carol = await as('carol');
    const directory = sandbox.directory();
    sandbox.setDirectory({ ...directory, users: directory.users.map((u) => (u.userName === 'CAROL' ? { ...u, permissionSets: ['D365 READ'] } : u)) });
    expect((await carol.post(carol.company('customers'), { displayName: 'Too Late' })).body).toEqual(permissionError('18 Customer', 'Insert'));
  });
});
