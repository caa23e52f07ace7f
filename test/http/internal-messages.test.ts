// An internal exception's message never becomes a client's answer: scimmy wraps JavaScript errors from its own code
// in a SCIMError 400, and those must turn into a logged 500 with the request id instead.
import SCIMMY from "scimmy";
import { describe, expect, it } from "vitest";
import { isEngineMessage } from "../../src/errors.ts";
import { toBridgeError } from "../../src/scim/errors.ts";
import { fromScimmyError } from "../../src/scim/resource-codec.ts";

describe("internal exception messages", () => {
  it.each([
    ["Cannot add property schemas, object is not extensible for 'add' op of operation 1", true],
    ["Cannot convert undefined or null to object", true],
    ["Cannot read properties of undefined (reading 'value')", true],
    ["x.map is not a function", true],
    ["Required attribute 'userName' is missing", false],
    ["Attribute 'department' expected value type 'string' but found type 'complex'", false],
    ["Invalid path 'emails[' for operation 1 in PatchOp request body", false],
  ])("%s → internal: %s", (message, internal) => {
    expect(isEngineMessage(message)).toBe(internal);
    const fromScimmy = fromScimmyError(new SCIMMY.Types.Error(400, "invalidValue", message));
    const answered = toBridgeError(fromScimmy);
    if (internal) {
      expect(answered.status).toBe(500);
      expect(answered.message).not.toContain(message);
    } else {
      expect(answered.status).toBe(400);
      expect(answered.message).toBe(message);
    }
  });
});
