// BC's error envelope: `{ "error": { "code", "message" } }`, the message ending in the request's correlation id
// (as Business Central online does), with the HTTP status BC uses for that code.
export class BcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'BcError';
  }
}

export function errorBody(error: BcError, correlationId: string): { error: { code: string; message: string } } {
  const message = error.message.endsWith('.') ? error.message : `${error.message}.`;
  return { error: { code: error.code, message: `${message}  CorrelationId:  ${correlationId}.` } };
}

// Constructors for the errors the sandbox raises, so codes and statuses are written once.
export const bcErrors = {
  unauthorized: () =>
    new BcError(401, 'Authentication_InvalidCredentials', 'The server has rejected the client credentials', {
      'WWW-Authenticate': 'Bearer realm="", error="invalid_token"',
    }),
  tenantUnavailable: (tenant: string, environment: string) =>
    new BcError(404, 'Internal_TenantUnavailable', `The tenant '${tenant}' with environment '${environment}' is not accessible`),
  companyNotFound: (id: string) =>
    new BcError(404, 'Internal_CompanyNotFound', `The company with id '${id}' does not exist or you do not have access to it`),
  resourceNotFound: (segment: string) =>
    new BcError(404, 'BadRequest_ResourceNotFound', `Resource not found for the segment '${segment}'`),
  recordNotFound: (entityName: string, id: string) =>
    new BcError(404, 'Internal_RecordNotFound', `The ${entityName} does not exist. Identification fields and values: Id='${id}'`),
  relatedRecordNotFound: (entityName: string, field: string, value: string) =>
    new BcError(400, 'Internal_RecordNotFound', `The ${entityName} does not exist. Identification fields and values: ${field}='${value}'`),
  methodNotAllowed: (method: string, segment: string) =>
    new BcError(
      405,
      'BadRequest_MethodNotAllowed',
      `'${method}' requests for '${segment}' of EdmType 'Entity' are not allowed within Microsoft Dynamics NAV OData web services`,
    ),
  notImplemented: (what: string) => new BcError(400, 'BadRequest_MethodNotImplemented', what),
  querySyntax: (message: string) => new BcError(400, 'BadRequest_NotFound', message),
  unknownProperty: (property: string, entityName: string) =>
    new BcError(400, 'BadRequest_NotFound', `Could not find a property named '${property}' on type 'Microsoft.NAV.${entityName}'`),
  badRequest: (message: string) => new BcError(400, 'BadRequest', message),
  readOnly: (property: string) => new BcError(400, 'BadRequest_InvalidOperation', `Control '${property}' is read-only`),
  required: (property: string) =>
    new BcError(400, 'BadRequest_RequiredParamNotProvided', `Field '${property}' must not be blank or empty`),
  invalidGuid: () =>
    new BcError(
      400,
      'Application_InvalidGUID',
      'Invalid format of GUID string. The correct format of the GUID string is: CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits',
    ),
  evaluate: (value: string, type: string) =>
    new BcError(400, 'Application_EvaluateException', `The value "${value}" cannot be evaluated into type ${type}`),
  stringTooLong: (length: number, max: number, value: string) =>
    new BcError(
      400,
      'Application_StringExceededLength',
      `The length of the string is ${length}, but it must be less than or equal to ${max} characters. Value: ${value}`,
    ),
  dialog: (message: string) => new BcError(400, 'Application_DialogException', message),
  fieldValidation: (message: string) => new BcError(400, 'Application_FieldValidationException', message),
  duplicateKey: (entityName: string, field: string, value: string) =>
    new BcError(
      400,
      'Internal_EntityWithSameKeyExists',
      `The ${entityName} already exists. Identification fields and values: ${field}='${value}'`,
    ),
  ifMatchMissing: () =>
    new BcError(
      400,
      'BadRequest_InvalidToken',
      'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request',
    ),
  entityChanged: () => new BcError(412, 'Request_EntityChanged', 'Another user has already changed the record'),
  // BC documents only the status for throttling; the code is the one Business Central online sends with it.
  tooManyRequests: (retryAfterSeconds: number) =>
    new BcError(429, 'Application_TooManyRequests', 'The rate limit for this principal has been exceeded. Retry after the period given in the Retry-After header', {
      'Retry-After': String(retryAfterSeconds),
    }),
  injected: (status: number, retryAfterSeconds: number) => {
    const codes: Record<number, string> = { 429: 'Application_TooManyRequests', 500: 'Internal_ServerError', 503: 'Internal_ServiceUnavailable' };
    const headers: Record<string, string> = status === 429 || status === 503 ? { 'Retry-After': String(retryAfterSeconds) } : {};
    return new BcError(status, codes[status] ?? (status >= 500 ? 'Internal_ServerError' : 'BadRequest'), `Injected fault (HTTP ${status})`, headers);
  },
  internal: (message: string) => new BcError(500, 'Internal_ServerError', message),
};
