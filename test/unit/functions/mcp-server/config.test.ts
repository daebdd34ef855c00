// Configuration of the MCP server from BC_* variables, and the $metadata reader behind the schema resources.
import { describe, expect, it } from 'vitest';
import { loadMcpServerConfig } from '../../../../functions/mcp-server/config.js';
import { isWritable, parseWritableEntitySets } from '../../../../functions/mcp-server/deps.js';
import { parseEdmx } from '../../../../functions/mcp-server/edmx.js';

const base = { BC_API_BASE_URL: 'https://api.businesscentral.dynamics.com', BC_TENANT: 't1', BC_ENVIRONMENT: 'production' };
const noSecrets = async (): Promise<never> => {
  throw new Error('Secrets Manager must not be called');
};

describe('BC_WRITABLE_ENTITY_SETS', () => {
  it('reads a comma list, * and empty', () => {
    const listed = parseWritableEntitySets(' customers, vendors ,');
    expect(isWritable(listed, 'customers')).toBe(true);
    expect(isWritable(listed, 'items')).toBe(false);
    expect(isWritable(parseWritableEntitySets('*'), 'items')).toBe(true);
    expect(isWritable(parseWritableEntitySets(''), 'customers')).toBe(false);
    expect(isWritable(parseWritableEntitySets(undefined), 'customers')).toBe(false);
  });

  it('refuses names that are not entity sets', () => {
    expect(() => parseWritableEntitySets('customers,custmers')).toThrow(/unknown entity sets: custmers/);
  });
});

describe('loadMcpServerConfig', () => {
  it('takes credentials from Secrets Manager when an ARN is set', async () => {
    const arns: string[] = [];
    const config = await loadMcpServerConfig(
      { ...base, BC_COMPANY_ID: 'CRONUS', BC_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:bc', BC_CLIENT_SECRET: 'ignored' },
      async (arn) => {
        arns.push(arn);
        return { clientId: 'from-secret', clientSecret: 's3cret' };
      },
    );
    expect(arns).toEqual(['arn:aws:secretsmanager:us-east-1:1:secret:bc']);
    expect(config.bc).toEqual({
      baseUrl: base.BC_API_BASE_URL,
      tenant: 't1',
      environment: 'production',
      companyId: 'CRONUS',
      clientId: 'from-secret',
      clientSecret: 's3cret',
    });
    expect(config.writableEntitySets).toEqual(new Set());
  });

  it('takes BC_CLIENT_ID / BC_CLIENT_SECRET otherwise, with the token URL when given', async () => {
    const config = await loadMcpServerConfig(
      { ...base, BC_CLIENT_ID: 'id', BC_CLIENT_SECRET: 'secret', BC_TOKEN_URL: 'http://127.0.0.1:4580/t1/oauth2/v2.0/token', BC_WRITABLE_ENTITY_SETS: '*' },
      noSecrets,
    );
    expect(config.bc.tokenUrl).toBe('http://127.0.0.1:4580/t1/oauth2/v2.0/token');
    expect(config.writableEntitySets).toBe('*');
  });

  it('names what is missing', async () => {
    await expect(loadMcpServerConfig({ BC_TENANT: 't', BC_ENVIRONMENT: 'e' }, noSecrets)).rejects.toThrow('BC_API_BASE_URL is not set');
    await expect(loadMcpServerConfig({ ...base, BC_CLIENT_ID: 'id' }, noSecrets)).rejects.toThrow(/BC_CLIENT_ID and BC_CLIENT_SECRET/);
  });
});

describe('parseEdmx', () => {
  const edmx = `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="Microsoft.NAV" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="contactType"><Member Name="Company" Value="0"/><Member Name="Person" Value="1"/></EnumType>
      <EntityType Name="customer">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.Guid" Nullable="false"/>
        <Property Name="displayName" Type="Edm.String" MaxLength="100"/>
        <Property Name="type" Type="Microsoft.NAV.contactType"/>
        <NavigationProperty Name="currency" Type="Microsoft.NAV.currency">
          <ReferentialConstraint Property="currencyId" ReferencedProperty="id"/>
        </NavigationProperty>
        <NavigationProperty Name="attachments" Type="Collection(Microsoft.NAV.attachment)"/>
      </EntityType>
      <EntityType Name="currency"><Key><PropertyRef Name="id"/></Key><Property Name="code" Type="Edm.String"/></EntityType>
      <EntityContainer Name="NAV">
        <EntitySet Name="customers" EntityType="Microsoft.NAV.customer">
          <NavigationPropertyBinding Path="currency" Target="currencies"/>
        </EntitySet>
        <EntitySet Name="currencies" EntityType="Microsoft.NAV.currency"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>`;

  it('reads entity sets with key, properties, enum members and navigation', () => {
    const sets = parseEdmx(edmx);
    expect([...sets.keys()]).toEqual(['customers', 'currencies']);
    const customers = sets.get('customers')!;
    expect(customers.entityType).toBe('Microsoft.NAV.customer');
    expect(customers.key).toEqual(['id']);
    expect(customers.properties).toEqual([
      { name: 'id', type: 'Edm.Guid', nullable: false },
      { name: 'displayName', type: 'Edm.String', nullable: true, maxLength: 100 },
      { name: 'type', type: 'Microsoft.NAV.contactType', nullable: true, enumMembers: ['Company', 'Person'] },
    ]);
    expect(customers.navigationProperties).toEqual([
      { name: 'currency', type: 'Microsoft.NAV.currency', collection: false },
      { name: 'attachments', type: 'Collection(Microsoft.NAV.attachment)', collection: true },
    ]);
    expect(sets.get('currencies')!.properties).toEqual([{ name: 'code', type: 'Edm.String', nullable: true }]);
  });

  it('refuses a document that is not EDMX', () => {
    expect(() => parseEdmx('{"error":{"code":"BadRequest"}}')).toThrow(/Not an EDMX document/);
  });
});
