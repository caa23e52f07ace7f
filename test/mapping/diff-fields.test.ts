import { describe, expect, it } from "vitest";
import { diffFields, type FieldSemantics } from "../../src/mapping/index.ts";
import { SALESFORCE_FIELDS } from "../../src/targets/salesforce/field-semantics.ts";
import { TABLEAU_FIELDS } from "../../src/targets/tableau/field-semantics.ts";

// Field semantics come from each kind; the engine applies whichever it is given.
const SF = SALESFORCE_FIELDS;
const TB = TABLEAU_FIELDS;

describe("diffFields", () => {
  it.each([
    [
      "nothing when equal",
      { Title: "CFO", IsActive: true },
      { Title: "CFO", IsActive: true, Id: "005x" },
      [],
    ],
    [
      "a changed value",
      { Title: "CFO", Department: "Finance" },
      { Title: "CEO", Department: "Finance" },
      ["Title"],
    ],
    [
      "Salesforce Username/Email case as no change",
      { Username: "Jane@X.io", Email: "JANE@x.io" },
      { Username: "jane@x.io", Email: "jane@x.io" },
      [],
      SF,
    ],
    [
      "case as a change for a kind that does not say otherwise",
      { Username: "Jane@X.io" },
      { Username: "jane@x.io" },
      ["Username"],
    ],
    [
      "Tableau name/email case as no change",
      { name: "Ana@X.io", email: "Ana@X.io" },
      { name: "ana@x.io", email: "ana@x.io" },
      [],
      TB,
    ],
    [
      "case in other fields as a change",
      { LastName: "McDonald" },
      { LastName: "Mcdonald" },
      ["LastName"],
      SF,
    ],
    ["a field the target lacks", { Title: "CFO" }, {}, ["Title"]],
    ["a cleared optional field", { Title: null }, { Title: "CFO" }, ["Title"]],
    ["null, empty string and absence alike", { Title: null, Phone: "" }, { Title: "", Phone: null }, []],
    [
      "required or auto-generated fields that mapped to nothing as untouched",
      { Alias: null, CommunityNickname: null },
      { Alias: "jd", CommunityNickname: "jd123" },
      [],
      SF,
    ],
    [
      "a Tableau role that mapped to nothing as untouched",
      { siteRole: null },
      { siteRole: "Viewer" },
      [],
      TB,
    ],
    ["booleans that came back as strings as equal", { IsActive: false }, { IsActive: "false" }, []],
    ["a boolean flip", { IsActive: false }, { IsActive: true }, ["IsActive"]],
    ["lists as case-insensitive sets", { permissionSets: ["B", "a"] }, { permissionSets: ["A", "b"] }, []],
    ["a list member added", { permissionSets: ["A", "C"] }, { permissionSets: ["A"] }, ["permissionSets"]],
    ["keys only the target has as not ours", { Title: "x" }, { Title: "x", ManagerId: "005y" }, []],
  ] as [string, Record<string, unknown>, Record<string, unknown>, string[], FieldSemantics?][])(
    "reports %s",
    (_what, desired, actual, expected, semantics) => {
      expect(diffFields(desired, actual, semantics)).toEqual(expected);
    },
  );

  it("lists several changes in the desired order", () => {
    expect(
      diffFields(
        { Email: "a@x.io", Title: "B", LastName: "C" },
        { Email: "z@x.io", Title: "B", LastName: "D" },
        SF,
      ),
    ).toEqual(["Email", "LastName"]);
  });
});
