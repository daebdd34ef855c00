// bc://company must name the company the tools act on, whichever way BC_COMPANY_ID spells it (the BC client
// accepts a GUID in any case, or a company name).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BcClient } from '../../../../functions/core/bc/index.js';
import { createBcMcpServer } from '../../../../functions/mcp-server/server.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { resourceText } from '../../../support/mcp.js';

let sandbox: BcSandbox;
const clients: Client[] = [];

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sandbox?.stop();
});

async function connect(companyId: string): Promise<Client> {
  const bc = new BcClient({
    ...sandbox.connection,
    companyId,
  });
  const server = createBcMcpServer({ bc, writableEntitySets: new Set(), companyId });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'company-resource-test', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

const currentCompany = async (client: Client) =>
  (JSON.parse(resourceText(await client.readResource({ uri: 'bc://company' }))) as { company: { id: string; name: string } }).company;

describe('bc://company', () => {
  it('shows the configured company when BC_COMPANY_ID is its name or an upper-case GUID', async () => {
    const probe = await connect('00000000-0000-0000-0000-000000000000');
    const all = (JSON.parse(resourceText(await probe.readResource({ uri: 'bc://company' }))) as { companies: { id: string; name: string }[] }).companies;
    const second = all[1]!;
    expect((await currentCompany(await connect(second.name))).id).toBe(second.id);
    expect((await currentCompany(await connect(second.id.toUpperCase()))).id).toBe(second.id);
  });
});
