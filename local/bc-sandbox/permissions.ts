// Table-data permission checks as Business Central makes them: every API entity set reads and writes a BC table,
// and a principal whose permission sets lack the right on that table gets BC's own error. Business Central
// online answers it with HTTP 403 and the code `Internal_ServerError`, message
// "Sorry, the current permissions prevented the action. (TableData <id> <name> <Permission>: <extension>)".
import { BcError } from './errors.js';
import type { BcPrincipal, Directory } from './directory.js';

export type TablePermission = 'Read' | 'Insert' | 'Modify' | 'Delete';

const LETTER: Record<TablePermission, string> = { Read: 'R', Insert: 'I', Modify: 'M', Delete: 'D' };

export interface BcTable {
  id: number;
  name: string;
}

// The table behind each API v2.0 page (documents and their lines are Sales/Purchase Header and Line, journals
// Gen. Journal Batch and Line), so permission sets name tables as BC's own do.
const TABLES: Record<string, [number, string]> = {
  companies: [2000000006, 'Company'],
  customers: [18, 'Customer'],
  customerContacts: [5050, 'Contact'],
  contacts: [5050, 'Contact'],
  vendors: [23, 'Vendor'],
  items: [27, 'Item'],
  itemVariants: [5401, 'Item Variant'],
  itemCategories: [5722, 'Item Category'],
  itemLedgerEntries: [32, 'Item Ledger Entry'],
  itemReservations: [337, 'Reservation Entry'],
  locations: [14, 'Location'],
  salesOrders: [36, 'Sales Header'],
  salesQuotes: [36, 'Sales Header'],
  salesInvoices: [36, 'Sales Header'],
  salesCreditMemos: [36, 'Sales Header'],
  salesOrderLines: [37, 'Sales Line'],
  salesQuoteLines: [37, 'Sales Line'],
  salesInvoiceLines: [37, 'Sales Line'],
  salesCreditMemoLines: [37, 'Sales Line'],
  salesShipments: [110, 'Sales Shipment Header'],
  salesShipmentLines: [111, 'Sales Shipment Line'],
  purchaseOrders: [38, 'Purchase Header'],
  purchaseInvoices: [38, 'Purchase Header'],
  purchaseCreditMemos: [38, 'Purchase Header'],
  purchaseOrderLines: [39, 'Purchase Line'],
  purchaseInvoiceLines: [39, 'Purchase Line'],
  purchaseCreditMemoLines: [39, 'Purchase Line'],
  purchaseReceipts: [120, 'Purch. Rcpt. Header'],
  purchaseReceiptLines: [121, 'Purch. Rcpt. Line'],
  paymentTerms: [3, 'Payment Terms'],
  paymentMethods: [289, 'Payment Method'],
  shipmentMethods: [10, 'Shipment Method'],
  currencies: [4, 'Currency'],
  currencyExchangeRates: [330, 'Currency Exchange Rate'],
  countriesRegions: [9, 'Country/Region'],
  inventoryPostingGroups: [94, 'Inventory Posting Group'],
  generalProductPostingGroups: [251, 'Gen. Product Posting Group'],
  unitsOfMeasure: [204, 'Unit of Measure'],
  taxGroups: [321, 'Tax Group'],
  taxAreas: [318, 'Tax Area'],
  dimensions: [348, 'Dimension'],
  dimensionValues: [349, 'Dimension Value'],
  defaultDimensions: [352, 'Default Dimension'],
  dimensionSetLines: [480, 'Dimension Set Entry'],
  documentAttachments: [1173, 'Document Attachment'],
  attachments: [133, 'Incoming Document Attachment'],
  accounts: [15, 'G/L Account'],
  generalLedgerEntries: [17, 'G/L Entry'],
  accountingPeriods: [50, 'Accounting Period'],
  journals: [232, 'Gen. Journal Batch'],
  customerPaymentJournals: [232, 'Gen. Journal Batch'],
  vendorPaymentJournals: [232, 'Gen. Journal Batch'],
  journalLines: [81, 'Gen. Journal Line'],
  customerPayments: [81, 'Gen. Journal Line'],
  vendorPayments: [81, 'Gen. Journal Line'],
  applyVendorEntries: [25, 'Vendor Ledger Entry'],
  employees: [5200, 'Employee'],
  timeRegistrationEntries: [951, 'Time Sheet Detail'],
  projects: [167, 'Job'],
  bankAccounts: [270, 'Bank Account'],
  opportunities: [5092, 'Opportunity'],
  customerReturnReasons: [6635, 'Return Reason'],
  disputeStatus: [1470, 'Dispute Status'],
  jobQueueEntries: [472, 'Job Queue Entry'],
  jobQueueLogEntries: [474, 'Job Queue Log Entry'],
  approvalEntries: [454, 'Approval Entry'],
  postedApprovalEntries: [456, 'Posted Approval Entry'],
  approvalUserSetups: [91, 'User Setup'],
  fixedAssets: [5600, 'Fixed Asset'],
  fixedAssetLocations: [5609, 'FA Location'],
};

/** The BC table an entity set reads and writes; a set missing from the map is its own table (named after it). */
export function tableOf(entitySet: string): BcTable {
  const known = TABLES[entitySet];
  return known ? { id: known[0], name: known[1] } : { id: 0, name: entitySet };
}

export function permissionDenied(table: BcTable, permission: TablePermission): BcError {
  return new BcError(403, 'Internal_ServerError', `Sorry, the current permissions prevented the action. (TableData ${table.id} ${table.name} ${permission}: Base Application)`);
}

/** Throws BC's permission error unless the principal's permission sets grant `permission` on the entity set's table. */
export function requirePermission(directory: Directory, principal: BcPrincipal, entitySet: string, permission: TablePermission): void {
  const table = tableOf(entitySet);
  if (!directory.rightsOn(principal, table.name).includes(LETTER[permission])) throw permissionDenied(table, permission);
}
