// Who may use the sandbox and with which rights, as Business Central models it: users (BC's User table, matched
// to an Entra user by its object id), permission sets of table-data permissions (AL's `tabledata X = RIMD`), and
// the permission sets the app registration itself holds for client-credentials calls. The default directory is
// the seed the scenario needs: alice reads, bob approves (reads), carol reads and writes.
import { createHash } from 'node:crypto';

/** Table-data rights in AL's notation: any of R (read), I (insert), M (modify), D (delete). */
export type TableRights = string;

export interface PermissionSetConfig {
  /** BC's Role ID, e.g. `D365 READ`. */
  roleId: string;
  name?: string;
  /** Table name (as BC names it: `Customer`, `Sales Header`) or `*` for every table → rights, e.g. `{ '*': 'R', Customer: 'RIMD' }`. */
  permissions: Record<string, TableRights>;
}

export interface BcUserConfig {
  /** BC's User Name, e.g. `CAROL`. */
  userName: string;
  /** The claim value that identifies the person in a user assertion (Entra's `oid`; locally the token's subject). */
  authenticationObjectId: string;
  /** BC's User Security ID (a GUID); derived from the user name when not given. */
  userSecurityId?: string;
  fullName?: string;
  /** Role IDs of permission sets assigned to the user. */
  permissionSets: string[];
  /** A disabled user is refused at the token endpoint, as Entra refuses a disabled account. */
  state?: 'Enabled' | 'Disabled';
}

export interface DirectoryConfig {
  users: BcUserConfig[];
  permissionSets: PermissionSetConfig[];
  /** Permission sets of the app registration (BC's Microsoft Entra Applications card): what client-credentials tokens may do. */
  appPermissionSets: string[];
}

/** A user as the sandbox acts for it: the configuration with its security id settled. */
export interface BcUser extends BcUserConfig {
  userSecurityId: string;
  state: 'Enabled' | 'Disabled';
}

const RIGHTS = /^[RIMD]*$/;

/** A stable GUID for a name (BC gives every user, and the app's own user, a User Security ID). */
export function securityIdFor(name: string): string {
  const hex = createHash('sha256').update(`bc-sandbox-user:${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const defaultPermissionSets: PermissionSetConfig[] = [
  { roleId: 'D365 READ', name: 'Dynamics 365 read access', permissions: { '*': 'R' } },
  { roleId: 'D365 BUS FULL ACCESS', name: 'Dynamics 365 Full business access', permissions: { '*': 'RIMD' } },
  { roleId: 'D365 CUSTOMER, VIEW', name: 'Dynamics 365 View customers', permissions: { Customer: 'R' } },
  { roleId: 'D365 CUSTOMER, EDIT', name: 'Dynamics 365 Edit customers', permissions: { Customer: 'RIMD' } },
];

export const defaultDirectory: DirectoryConfig = {
  users: [
    { userName: 'ALICE', fullName: 'Alice', authenticationObjectId: 'alice', permissionSets: ['D365 READ'] },
    { userName: 'BOB', fullName: 'Bob (approver)', authenticationObjectId: 'bob', permissionSets: ['D365 READ'] },
    { userName: 'CAROL', fullName: 'Carol', authenticationObjectId: 'carol', permissionSets: ['D365 BUS FULL ACCESS'] },
  ],
  permissionSets: defaultPermissionSets,
  appPermissionSets: ['D365 BUS FULL ACCESS'],
};

/** Checks a directory and settles each user's security id; a bad configuration is refused whole, with the reason. */
export function validateDirectory(input: unknown): { users: BcUser[]; permissionSets: Map<string, PermissionSetConfig>; appPermissionSets: string[] } {
  if (typeof input !== 'object' || input === null) throw new Error('the directory must be an object with users, permissionSets and appPermissionSets');
  const raw = input as Partial<DirectoryConfig>;
  if (!Array.isArray(raw.users) || !Array.isArray(raw.permissionSets) || !Array.isArray(raw.appPermissionSets)) {
    throw new Error('the directory needs arrays users, permissionSets and appPermissionSets');
  }
  const permissionSets = new Map<string, PermissionSetConfig>();
  for (const set of raw.permissionSets) {
    if (typeof set?.roleId !== 'string' || !set.roleId.trim()) throw new Error('every permission set needs a roleId');
    if (permissionSets.has(set.roleId)) throw new Error(`permission set '${set.roleId}' is defined twice`);
    if (typeof set.permissions !== 'object' || set.permissions === null) throw new Error(`permission set '${set.roleId}' needs a permissions object`);
    for (const [table, rights] of Object.entries(set.permissions)) {
      if (typeof rights !== 'string' || !RIGHTS.test(rights.toUpperCase())) {
        throw new Error(`permission set '${set.roleId}': rights on '${table}' must be letters of RIMD, got '${String(rights)}'`);
      }
    }
    permissionSets.set(set.roleId, set);
  }
  const known = (roleId: unknown, owner: string) => {
    if (typeof roleId !== 'string' || !permissionSets.has(roleId)) throw new Error(`${owner} is assigned permission set '${String(roleId)}', which is not defined`);
  };
  const users: BcUser[] = [];
  const seen = new Set<string>();
  for (const user of raw.users) {
    if (typeof user?.userName !== 'string' || !user.userName.trim()) throw new Error('every user needs a userName');
    if (typeof user.authenticationObjectId !== 'string' || !user.authenticationObjectId.trim()) throw new Error(`user '${user.userName}' needs an authenticationObjectId`);
    if (seen.has(user.authenticationObjectId)) throw new Error(`two users have the authenticationObjectId '${user.authenticationObjectId}'`);
    seen.add(user.authenticationObjectId);
    if (!Array.isArray(user.permissionSets)) throw new Error(`user '${user.userName}' needs a permissionSets array`);
    for (const roleId of user.permissionSets) known(roleId, `user '${user.userName}'`);
    if (user.state !== undefined && user.state !== 'Enabled' && user.state !== 'Disabled') throw new Error(`user '${user.userName}': state must be Enabled or Disabled`);
    users.push({ ...user, userName: user.userName.toUpperCase(), userSecurityId: (user.userSecurityId ?? securityIdFor(user.userName.toUpperCase())).toLowerCase(), state: user.state ?? 'Enabled' });
  }
  for (const roleId of raw.appPermissionSets) known(roleId, 'the app registration');
  return { users, permissionSets, appPermissionSets: [...raw.appPermissionSets] };
}

/** Who a bearer token acts for: the app registration itself (client credentials) or a user (on-behalf-of). */
export interface BcPrincipal {
  kind: 'app' | 'user';
  /** BC's User Name (the app's is its client id, as BC names an Entra application's user). */
  userName: string;
  userSecurityId: string;
  /** The app registration that obtained the token. */
  clientId: string;
}

/** The live directory: replaceable as a whole (PUT /_admin/directory), read on every request. */
export class Directory {
  private users: BcUser[] = [];
  private permissionSets = new Map<string, PermissionSetConfig>();
  private appPermissionSets: string[] = [];

  constructor(private readonly initial: DirectoryConfig = defaultDirectory) {
    this.replace(initial);
  }

  /** Back to the directory the sandbox started with (POST /_admin/reset). */
  reset(): void {
    this.replace(this.initial);
  }

  replace(config: unknown): void {
    const valid = validateDirectory(config);
    this.users = valid.users;
    this.permissionSets = valid.permissionSets;
    this.appPermissionSets = valid.appPermissionSets;
  }

  config(): DirectoryConfig {
    return { users: this.users.map((u) => ({ ...u })), permissionSets: [...this.permissionSets.values()], appPermissionSets: [...this.appPermissionSets] };
  }

  userByObjectId(objectId: string): BcUser | undefined {
    return this.users.find((u) => u.authenticationObjectId === objectId);
  }

  /** The app registration's own user (BC creates one per Microsoft Entra application). */
  appPrincipal(clientId: string): BcPrincipal {
    return { kind: 'app', userName: clientId, userSecurityId: securityIdFor(`app:${clientId}`), clientId };
  }

  userPrincipal(user: BcUser, clientId: string): BcPrincipal {
    return { kind: 'user', userName: user.userName, userSecurityId: user.userSecurityId, clientId };
  }

  /** The union of the principal's permission sets' rights on a table (`*` entries apply to every table), e.g. `RI`. */
  rightsOn(principal: BcPrincipal, table: string): string {
    const roleIds = principal.kind === 'app' ? this.appPermissionSets : (this.users.find((u) => u.userSecurityId === principal.userSecurityId && u.state === 'Enabled')?.permissionSets ?? []);
    let rights = '';
    for (const roleId of roleIds) {
      const permissions = this.permissionSets.get(roleId)?.permissions ?? {};
      rights += `${permissions['*'] ?? ''}${permissions[table] ?? ''}`.toUpperCase();
    }
    return rights;
  }
}
