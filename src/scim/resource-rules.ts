// Rules on resource bodies that scimmy's schema validation does not know: what the store indexes must fit, and a
// userName an admin can recognise (trimmed, no control characters). Applied after every POST, PUT and PATCH.
import { BridgeError, excerpt } from "../errors.ts";
import { nameKey, type ResourceType } from "../store/index.ts";
import { STORE_LIMITS } from "../store/limits.ts";

/** Attributes kept in indexed columns (store/migrations): their length is bounded by the index. */
const INDEXED: Record<ResourceType, string[]> = {
  User: ["userName", "displayName", "externalId"],
  Group: ["displayName", "externalId"],
};

const CONTROL = /\p{Cc}/u;

/**
 * The body as stored: userName trimmed (leading and trailing white space is never meant), refused when it holds a
 * control character; indexed attributes no longer than STORE_LIMITS.indexedTextLength. Unicode is kept as sent;
 * uniqueness compares names by nameKey (store/name-key.ts), so two that differ only in normalisation form are one.
 */
export function applyResourceRules(
  type: ResourceType,
  data: Record<string, unknown>,
): Record<string, unknown> {
  let out = data;
  if (type === "User" && typeof data.userName === "string") {
    const userName = data.userName.trim();
    if (!userName)
      throw new BridgeError("SCIM_INVALID_VALUE", "userName must not be empty or only white space");
    if (CONTROL.test(userName)) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        `userName ${excerpt(userName)} contains a control character (tab, newline or another invisible one)`,
      );
    }
    if (userName !== data.userName) out = { ...data, userName };
  }
  for (const name of INDEXED[type]) {
    const value = out[name];
    if (typeof value === "string" && value.length > STORE_LIMITS.indexedTextLength) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        `${name} is ${value.length} characters long; the limit is ${STORE_LIMITS.indexedTextLength}`,
      );
    }
  }
  const unique = type === "User" ? "userName" : "displayName";
  const name = out[unique];
  if (typeof name === "string" && nameKey(name).length > STORE_LIMITS.nameKeyLength) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `${unique} is too long once case and Unicode normalisation are applied (its characters expand); shorten it`,
    );
  }
  return out;
}
