// bc://company must name the company the tools act on, whichever way BC_COMPANY_ID spells it (the BC client
// accepts a GUID in any case, or a company name).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BcClient } from '../../../../functions/core/bc/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { connectInMemory, resourceText } from '../../../support/mcp.js';

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
  const bc = new BcClient({ ...sandbox.connection, companyId });
  const client = await connectInMemory({ bc, writableEntitySets: new Set(), companyId }, 'company-resource-test');
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
