// A target's viewUntouched lets the unseen-change check skip evaluating its whole view (UserViewTarget): whenever it
// says a change leaves the view as it was, the view must be exactly as it was, or an IdP's change would silently
// never reach the target. Checked for each kind against its own userView, with its default mapping and with mappings
// that read more (extensions, filters, group rules), on random users and random changes to them.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { retryPolicy } from "../../src/sync/retry.ts";
import { SalesforceTargetConfig } from "../../src/targets/salesforce/config.ts";
import { createSalesforceTarget } from "../../src/targets/salesforce/index.ts";
import { TableauTargetConfig } from "../../src/targets/tableau/config.ts";
import { createTableauTarget } from "../../src/targets/tableau/index.ts";
import { type DesiredUser, hasUserView, type Target, type UserViewTarget } from "../../src/targets/target.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SALESFORCE = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
const TABLEAU = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";
const TABLEAU_CLOUD = "urn:ietf:params:scim:schemas:extension:tableau:3.0";

const text = fc.oneof(
  fc.constantFrom("", "Ann", "ann@example.com", "Zoë Ñúñez", "Standard User"),
  fc.string(),
);
const profileish = fc.constantFrom(
  "00e000000000001",
  "00e000000000002AAA",
  "0PS000000000001",
  "Sales",
  "Admin",
);
const typed = (value: fc.Arbitrary<unknown>) =>
  fc.array(
    fc.record(
      { value, type: fc.constantFrom("work", "home", "profile", "permissionSet"), primary: fc.boolean() },
      { requiredKeys: ["value"] },
    ),
    { maxLength: 3 },
  );

/** Each attribute an IdP may send, in the shapes it takes. */
const attributes: Record<string, fc.Arbitrary<unknown>> = {
  userName: text,
  // A second spelling of a sub-attribute too: a reader ignoring case takes the first in order.
  name: fc.record(
    { givenName: text, familyName: text, formatted: text, familyname: text, FAMILYNAME: text },
    { requiredKeys: [] },
  ),
  displayName: text,
  nickName: text,
  title: text,
  locale: text,
  externalId: text,
  userType: text,
  timezone: text,
  addresses: typed(text),
  active: fc.constantFrom(true, false, "True", "False"),
  emails: typed(text),
  phoneNumbers: typed(text),
  entitlements: typed(profileish),
  roles: typed(text),
  [ENTERPRISE]: fc.record(
    { department: text, employeeNumber: text, manager: fc.record({ value: text }, { requiredKeys: [] }) },
    { requiredKeys: [] },
  ),
  [SALESFORCE]: fc.record(
    { Alias: text, ProfileId: profileish, TimeZoneSidKey: text, permissionSets: fc.array(profileish) },
    { requiredKeys: [] },
  ),
  [TABLEAU]: fc.record(
    { siteRole: fc.constantFrom("Viewer", "creator", "Explorer", "nonsense"), authSetting: text },
    { requiredKeys: [] },
  ),
  [TABLEAU_CLOUD]: fc.record(
    { siteRoles: typed(fc.constantFrom("Viewer", "Creator")), entitlements: typed(text) },
    { requiredKeys: [] },
  ),
};
const names = Object.keys(attributes);

/** A user, its body after a change of some attributes (a new value, or gone), and the user's groups. */
const aChange = fc
  .record({
    before: fc.record(attributes, { requiredKeys: [] }),
    replacement: fc.record(attributes, { requiredKeys: [] }),
    changed: fc.subarray(names, { minLength: 1, maxLength: 3 }),
    // An IdP that spells an attribute its own way ("Title"): SCIM names are case-insensitive.
    respelled: fc.subarray(names, { maxLength: 2 }),
    // A body holding two spellings of one attribute, before and after alike; and the same body in another order.
    doubled: fc.subarray(names, { maxLength: 2 }),
    reordered: fc.boolean(),
    groups: fc.subarray(["Sales", "Tableau Creators", "Admins"]),
  })
  .map(({ before, replacement, changed, respelled, doubled, reordered, groups }) => {
    for (const n of doubled) {
      if (!(n in before) || !(n in replacement)) continue;
      // Neither spelling is the reader's own: it takes the first in order.
      const value = before[n];
      delete before[n];
      before[n.toLowerCase()] = value;
      before[n.toUpperCase()] = replacement[n];
    }
    let after: Record<string, unknown> = { ...before };
    for (const n of changed) {
      delete after[n];
      if (n in replacement) after[n] = replacement[n];
    }
    for (const n of respelled) {
      if (!(n in after)) continue;
      const value = after[n];
      delete after[n];
      after[n.toUpperCase()] = value;
    }
    if (reordered) after = reversed(after) as Record<string, unknown>;
    return { before: before as Record<string, unknown>, after, groups };
  });

/** The same value with every object's keys in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reversed(x)]),
  );
}

const user = (data: Record<string, unknown>, groups: string[]): DesiredUser => ({
  scimId: "u1",
  data,
  active: data.active !== false,
  groups,
});

const tableau = (mapping?: unknown) =>
  createTableauTarget(
    TableauTargetConfig.parse({
      name: "t",
      kind: "tableau",
      serverUrl: "http://127.0.0.1:9",
      auth: { pat: { name: "n", secret: "s" } },
      ...(mapping ? { mapping } : {}),
    }),
    { retry: retryPolicy },
  );
const salesforce = (mapping?: unknown) =>
  createSalesforceTarget(
    SalesforceTargetConfig.parse({
      name: "s",
      kind: "salesforce",
      loginUrl: "http://127.0.0.1:9",
      auth: { password: { clientId: "c", clientSecret: "s", username: "u", password: "p" } },
      ...(mapping ? { mapping } : {}),
    }),
    { retry: retryPolicy },
  );

const cases: [string, () => Target][] = [
  ["Tableau, default mapping", () => tableau()],
  [
    "Tableau, a mapping reading an extension, a filter and group rules",
    () =>
      tableau({
        fields: {
          fullName: { concat: ["name.givenName", { const: " " }, `${ENTERPRISE}:department`] },
          email: 'urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value',
        },
        groupRules: [{ group: "Tableau Creators", set: { siteRole: "Creator" } }],
      }),
  ],
  ["Salesforce, default mapping", () => salesforce()],
  [
    "Salesforce, a mapping reading roles, a filter and group rules",
    () =>
      salesforce({
        fields: { Title: "roles.value", Phone: 'phoneNumbers[type eq "home"].value' },
        groupRules: [{ group: "Sales", set: { ProfileId: "Standard User", permissionSets: ["Sales_Ops"] } }],
      }),
  ],
];

describe("a target's viewUntouched", () => {
  it.each(cases)("%s: whenever it says a change leaves userView as it was, it does", (_name, make) => {
    const target = make();
    if (!hasUserView(target)) throw new Error("the kind has no userView");
    const t: UserViewTarget = target;
    const untouched = t.viewUntouched?.bind(t);
    if (!untouched) throw new Error("the kind has no viewUntouched");
    let skipped = 0;
    fc.assert(
      fc.property(aChange, ({ before, after, groups }) => {
        if (!untouched(before, after)) return;
        skipped++;
        expect(t.userView(user(after, groups))).toStrictEqual(t.userView(user(before, groups)));
      }),
      { numRuns: 1000 },
    );
    // The shortcut is taken often enough for the property to have said something.
    expect(skipped).toBeGreaterThan(50);
  });

  it("evaluates only what a change touches: an IdP's displayName change is Tableau's fullName, not Salesforce's LastName while familyName is there", () => {
    const before = { userName: "ann@example.com", name: { familyName: "Lee" }, displayName: "Ann" };
    const [t, s] = [tableau(), salesforce()] as (Target & Required<UserViewTarget>)[];
    const both = (after: Record<string, unknown>) => [
      t!.viewUntouched(before, after),
      s!.viewUntouched(before, after),
    ];
    expect(both({ ...before, displayName: "Ann Lee" })).toEqual([false, true]);
    expect(both({ ...before, name: { familyName: "Li" } })).toEqual([true, false]);
    // A title is read by Salesforce only; the enterprise extension is read whole by Salesforce (the manager).
    expect(both({ ...before, title: "Analyst" })).toEqual([true, false]);
    expect(both({ ...before, [ENTERPRISE]: { employeeNumber: "42" } })).toEqual([true, false]);
    expect(both({ ...before, active: false })).toEqual([false, false]);
  });
});
