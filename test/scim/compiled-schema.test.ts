// The compiled inbound validation (scim/compiled-schema.ts) against scimmy's own: for any body, validateUser and
// validateGroup answer exactly what scimmy's path answers (the same stored body, key order included, the same
// password, the same error), and the compiled plan handles the real IdP bodies itself instead of declining them.
import fc from "fast-check";
import SCIMMY from "scimmy";
import { describe, expect, it } from "vitest";
import { BridgeError } from "../../src/errors.ts";
import { declareBridgeSchemas } from "../../src/schemas.ts";
import { fastGroup, fastUser } from "../../src/scim/compiled-schema.ts";
import { normaliseResourceBody } from "../../src/scim/dialects.ts";
import {
  validateGroup,
  validateGroupWithScimmy,
  validateUser,
  validateUserWithScimmy,
} from "../../src/scim/resource-codec.ts";
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER, PROVISIONING } from "../../src/scim/schemas.ts";

const SALESFORCE = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
const TABLEAU = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";
const MEMBER = "2819c223-7f76-453a-919d-413861904646";

/** What a client would notice: the stored body as serialised (key order included), the password, or the error. */
function outcome(validate: (body: unknown) => unknown, body: unknown) {
  try {
    const r = validate(body) as { data: unknown; password?: string; members?: unknown };
    return { json: JSON.stringify(r.data), password: r.password, members: JSON.stringify(r.members) };
  } catch (e) {
    return e instanceof BridgeError
      ? { error: e.code, detail: e.message }
      : { unexpected: String((e as Error).message) };
  }
}

const okta = {
  schemas: [CORE_USER],
  userName: "test.user@okta.local",
  name: { givenName: "Test", familyName: "User" },
  emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
  displayName: "Test User",
  locale: "en-US",
  externalId: "00ujl29u0le5T6Aj10h7",
  groups: [],
  password: "1mz050nq",
  active: true,
};
const entra = {
  schemas: [CORE_USER, ENTERPRISE_USER],
  externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e1",
  userName: "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  active: true,
  emails: [{ primary: true, type: "work", value: "Test_User_fd0ea19b@testuser.com" }],
  meta: { resourceType: "User" },
  name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
  roles: [],
};
const entraEnterprise = {
  ...entra,
  userName: "adele@contoso.example",
  title: "Retail Manager",
  preferredLanguage: "en-US",
  phoneNumbers: [{ type: "mobile", value: "+1 425 555 0109" }],
  addresses: [{ type: "work", streetAddress: "1 Microsoft Way", locality: "Redmond", country: "US" }],
  [ENTERPRISE_USER]: {
    employeeNumber: "1001",
    department: "Retail",
    manager: { value: "2819c223-7f76-453a-919d-413861904646" },
  },
};
const vendorExtensions = {
  schemas: [CORE_USER, SALESFORCE, TABLEAU],
  userName: "vendor@example.com",
  [SALESFORCE]: { ProfileId: "00e000000000001", Alias: "vend", permissionSets: ["Ops", "Analytics"] },
  [TABLEAU]: { siteRole: "Viewer", siteRoles: [{ value: "Explorer" }] },
};
/** The same user as a GET returns it, PUT back by a script. */
const roundTrip = {
  schemas: [CORE_USER],
  id: "6b5b6fd0-58a4-4d43-9a41-4d7bd2c8ab0d",
  userName: "round@example.com",
  name: { givenName: "Round", familyName: "Trip" },
  active: false,
  meta: {
    resourceType: "User",
    created: "2026-12-01T10:00:00.000Z",
    lastModified: "2026-12-01T10:00:00.000Z",
    version: 'W/"3"',
    location: "https://bridge.example/scim/v2/Users/6b5b6fd0-58a4-4d43-9a41-4d7bd2c8ab0d",
  },
};

describe("compiled inbound validation", () => {
  it.each([
    ["Okta's create", okta],
    ["Entra's create", entra],
    ["Entra's create with the enterprise extension", entraEnterprise],
    ["a user with the Salesforce and Tableau extensions", vendorExtensions],
    ["a GET's body PUT back", roundTrip],
    ["a bare userName", { userName: "bare@example.com" }],
  ])("takes %s itself and stores what scimmy would", (_, body) => {
    const normalised = normaliseResourceBody(body);
    expect(fastUser(normalised as Record<string, unknown>)).toBeDefined();
    expect(outcome(validateUser, normalised)).toEqual(outcome(validateUserWithScimmy, normalised));
  });

  it("keeps Okta's password apart from the stored body, as scimmy does", () => {
    const v = validateUser(normaliseResourceBody(okta));
    expect(v.password).toBe("1mz050nq");
    expect(v.data.password).toBeUndefined();
  });

  it.each([
    [
      "Entra's create",
      { schemas: [CORE_GROUP], displayName: "Group1DisplayName", externalId: "x", members: [] },
    ],
    [
      "Okta's push",
      { schemas: [CORE_GROUP], displayName: "Test Group", members: [{ value: MEMBER, display: "u" }] },
    ],
  ])("takes a group as %s itself", (_, body) => {
    expect(fastGroup(body)).toBeDefined();
    expect(outcome(validateGroup, body)).toEqual(outcome(validateGroupWithScimmy, body));
  });

  it.each([
    ["an attribute in another case", { userName: "a@example.com", DisplayName: "A" }],
    ["an undeclared attribute", { userName: "a@example.com", nickname2: "A" }],
    [
      "a namespaced extension attribute",
      { userName: "a@example.com", [`${ENTERPRISE_USER}:department`]: "R" },
    ],
    ["a number for a string", { userName: "a@example.com", title: 7 }],
    ["no userName", { displayName: "A" }],
    [
      "an extension holding only null",
      { userName: "a@example.com", [ENTERPRISE_USER]: { department: null } },
    ],
    ["read-only provisioning status", { userName: "a@example.com", [PROVISIONING]: { targets: [] } }],
  ])("leaves %s to scimmy", (_, body) => {
    expect(fastUser(body)).toBeUndefined();
    expect(outcome(validateUser, body)).toEqual(outcome(validateUserWithScimmy, body));
  });

  it("answers a userName that reads like an engine message with a 400, not a 500", () => {
    // A rule's error names the client's value; one that looks like "Cannot read …" was taken for a bug in scimmy.
    const body = { userName: "Cannot read \u0001 of undefined" };
    expect(outcome(validateUser, body)).toMatchObject({ error: "SCIM_INVALID_VALUE" });
    expect(outcome(validateUserWithScimmy, body)).toMatchObject({ error: "SCIM_INVALID_VALUE" });
  });
});

// Bodies built from the declared attributes: mostly well-typed values, with random casing, wrong types, nulls,
// empty values and undeclared keys mixed in.
type Attr = InstanceType<typeof SCIMMY.Types.Attribute>;
const anyCase = (name: string, noise: boolean) =>
  noise
    ? fc.oneof(
        { weight: 12, arbitrary: fc.constant(name) },
        fc.constant(name.toLowerCase()),
        fc.constant(name.toUpperCase()),
        fc.constant(`${name}x`),
      )
    : fc.constant(name);
const scalar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  fc.constantFrom("work", "home", "User", "Group", "Viewer", "https://ex.example/p", "/Users/1", "  x  ", ""),
  fc.boolean(),
  fc.integer(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
);
function wellTyped(a: Attr, noise: boolean): fc.Arbitrary<unknown> {
  const canonical = a.config.canonicalValues;
  const subs = a.subAttributes ?? [];
  const one: fc.Arbitrary<unknown> = Array.isArray(canonical)
    ? fc.constantFrom(...canonical)
    : a.type === "boolean"
      ? fc.boolean()
      : a.type === "reference"
        ? fc.constantFrom(
            "https://ex.example/p",
            "/Users/1",
            `https://b.example/Users/${MEMBER}`,
            "urn:a:b",
            "nope",
          )
        : a.type === "complex"
          ? fc
              .tuple(
                noise
                  ? fc.oneof(
                      { weight: 15, arbitrary: fc.constant({}) },
                      fc.dictionary(fc.oneof(...subs.map((s) => anyCase(s.name, true))), scalar, {
                        minKeys: 1,
                        maxKeys: 1,
                      }),
                    )
                  : fc.constant({}),
                fc.record(Object.fromEntries(subs.map((s) => [s.name, attributeValue(s, noise)])), {
                  requiredKeys: [],
                }),
              )
              .map(([odd, good]) => ({ ...odd, ...good }))
          : fc.string({ maxLength: 10 });
  return a.config.multiValued ? fc.array(one, { maxLength: 3 }) : one;
}
const attributeValue = (a: Attr, noise: boolean): fc.Arbitrary<unknown> =>
  noise
    ? fc.oneof({ weight: 30, arbitrary: wellTyped(a, true) }, scalar, fc.array(scalar, { maxLength: 2 }))
    : wellTyped(a, false);
function bodyOf(attributes: Attr[], maxKeys: number, noise: boolean) {
  return fc
    .tuple(
      ...attributes.map((a) =>
        fc.oneof(
          { weight: Math.max(1, Math.round(attributes.length / maxKeys) - 1), arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.tuple(anyCase(a.name, noise), attributeValue(a, noise)) },
        ),
      ),
    )
    .map((pairs) => Object.fromEntries(pairs.filter((p) => p !== null)));
}
declareBridgeSchemas();
const definition = SCIMMY.Schemas.User.definition;
const coreAttributes = (definition.attributes as unknown[]).filter(
  (a): a is Attr => a instanceof SCIMMY.Types.Attribute && a.name !== "schemas",
);
const extensions = (definition.attributes as unknown[]).filter(
  (a): a is InstanceType<typeof SCIMMY.Types.SchemaDefinition> => a instanceof SCIMMY.Types.SchemaDefinition,
);
const extensionValue = (e: (typeof extensions)[number], noise: boolean) =>
  noise
    ? fc.oneof({ weight: 6, arbitrary: bodyOf(e.attributes as Attr[], 3, true) }, scalar)
    : bodyOf(e.attributes as Attr[], 3, false);
const userBodyOf = (noise: boolean) =>
  fc
    .record({
      schemas: fc.oneof(
        { weight: 4, arbitrary: fc.subarray([CORE_USER, ...extensions.map((e) => e.id)]) },
        ...(noise ? [fc.subarray([CORE_USER, ENTERPRISE_USER, "urn:x:y", "not a uri"]), scalar] : []),
      ),
      userName: noise
        ? fc.oneof({ weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, scalar)
        : fc.string({ minLength: 1, maxLength: 12 }),
      core: bodyOf(coreAttributes, 3, noise),
      extensions: fc.array(
        fc.oneof(
          ...extensions.map((e) => fc.tuple(fc.constant(e.id), extensionValue(e, noise))),
          ...(noise
            ? [
                fc.tuple(fc.constant(ENTERPRISE_USER.toLowerCase()), extensionValue(extensions[0]!, true)),
                fc.tuple(fc.constant(`${ENTERPRISE_USER}:department`), scalar),
              ]
            : []),
        ),
        { maxLength: 2 },
      ),
      extra: noise
        ? fc.oneof(
            { weight: 10, arbitrary: fc.constant(null) },
            fc.tuple(fc.string({ maxLength: 6 }), scalar),
          )
        : fc.constant(null),
    })
    .map(({ core, extensions, extra, ...rest }) => ({
      ...rest,
      ...core,
      ...Object.fromEntries(extensions),
      ...(extra ? { [extra[0]]: extra[1] } : {}),
    }));
const userBody = fc.oneof(userBodyOf(false), userBodyOf(true));

const groupAttributes = (SCIMMY.Schemas.Group.definition.attributes as unknown[]).filter(
  (a): a is Attr =>
    a instanceof SCIMMY.Types.Attribute && !["schemas", "displayName", "members"].includes(a.name),
);
const groupBody = fc
  .record(
    {
      schemas: fc.oneof(fc.subarray([CORE_GROUP, PROVISIONING, "urn:x:y"]), scalar),
      displayName: fc.oneof({ weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) }, scalar),
      members: fc.oneof(
        fc.array(
          fc.record(
            {
              value: fc.oneof(fc.constant(MEMBER), fc.constant(MEMBER.toUpperCase()), scalar),
              display: scalar,
              type: fc.oneof(fc.constantFrom("User", "Group", "user"), scalar),
              $ref: fc.oneof(fc.constantFrom(`https://b.example/Users/${MEMBER}`, "/Groups/1"), scalar),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        scalar,
      ),
      core: bodyOf(groupAttributes, 2, true),
    },
    { requiredKeys: ["displayName", "core"] },
  )
  .map(({ core, ...rest }) => ({ ...core, ...rest }));

describe("compiled inbound validation, properties", () => {
  it("answers every User body exactly as scimmy's path does, and takes most well-formed ones itself", () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(userBody, (body) => {
        runs++;
        if (fastUser(body)) taken++;
        expect(outcome(validateUser, body)).toEqual(outcome(validateUserWithScimmy, body));
      }),
      { numRuns: 1500 },
    );
    // Not vacuous: a good share of the generated bodies went through the compiled plan.
    expect(taken / runs).toBeGreaterThan(0.15);
  });

  it("answers every Group body exactly as scimmy's path does", () => {
    let taken = 0;
    fc.assert(
      fc.property(groupBody, (body) => {
        if (fastGroup(body)) taken++;
        expect(outcome(validateGroup, body)).toEqual(outcome(validateGroupWithScimmy, body));
      }),
      { numRuns: 1000 },
    );
    expect(taken).toBeGreaterThan(40);
  });
});
