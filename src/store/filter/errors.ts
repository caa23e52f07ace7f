import SCIMMY from "scimmy";

/**
 * A filter the server cannot evaluate: bad syntax, an unknown attribute, or an operator that does not suit
 * the attribute's type. Extends scimmy's SCIMError so the routers render it as a SCIM error body.
 */
export class FilterError extends SCIMMY.Types.Error {
  /** 1-based character position in the filter where the problem was found, when known. */
  readonly position: number | undefined;

  constructor(detail: string, position?: number) {
    super(400, "invalidFilter", detail);
    this.name = "FilterError";
    this.position = position;
  }
}

/** An unusable `sortBy` or `sortOrder` (RFC 7644 §3.4.2.3 lets us reject rather than ignore it). */
export class SortError extends SCIMMY.Types.Error {
  constructor(detail: string) {
    super(400, "invalidValue", detail);
    this.name = "SortError";
  }
}
