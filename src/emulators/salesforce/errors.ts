/** One entry of Salesforce's REST error array: `[{message, errorCode, fields}]`. */
export interface RestError {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** A failed API call: the HTTP status plus the error array Salesforce would send. */
export class SalesforceApiError extends Error {
  readonly status: number;
  readonly errors: RestError[];
  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message);
    this.status = status;
    this.errors = [fields ? { message, errorCode, fields } : { message, errorCode }];
  }
  static of(status: number, errors: RestError[]): SalesforceApiError {
    const first = errors[0] ?? { message: "error", errorCode: "UNKNOWN_EXCEPTION" };
    const e = new SalesforceApiError(status, first.errorCode, first.message, first.fields);
    e.errors.splice(0, 1, ...errors);
    return e;
  }
}

/** Collections put record-level errors under `statusCode`, not `errorCode`. */
export function toCollectionErrors(
  errors: RestError[],
): { statusCode: string; message: string; fields: string[] }[] {
  return errors.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields ?? [] }));
}

export const notFound = (): SalesforceApiError =>
  new SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist");

export const malformedQuery = (message: string): SalesforceApiError =>
  new SalesforceApiError(400, "MALFORMED_QUERY", message);

export const SESSION_INVALID: RestError[] = [
  { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
];

export const DUPLICATE_USERNAME_MESSAGE =
  "Duplicate Username.<br>The username already exists in this or another Salesforce organization. Usernames must be unique across all Salesforce organizations. To resolve, use a different username (it doesn't need to match the user's email address).";

export const DUPLICATE_NICKNAME_MESSAGE =
  "Duplicate Nickname.<br>Another user has already selected this nickname.<br>Please select another.";

export const ROLLED_BACK: RestError = {
  errorCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
  message: "Record rolled back because not all records were valid and the request was using AllOrNone header",
  fields: [],
};
