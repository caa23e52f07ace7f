import { describe, expect, it } from "vitest";
import { diffFields } from "../../src/mapping/index.ts";

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
    ],
    [
      "Tableau name/email case as no change",
      { name: "Ana@X.io", email: "Ana@X.io" },
      { name: "ana@x.io", email: "ana@x.io" },
      [],
    ],
    ["case in other fields as a change", { LastName: "McDonald" }, { LastName: "Mcdonald" }, ["LastName"]],
    ["a field the target lacks", { Title: "CFO" }, {}, ["Title"]],
    ["a cleared optional field", { Title: null }, { Title: "CFO" }, ["Title"]],
    ["null, empty string and absence alike", { Title: null, Phone: "" }, { Title: "", Phone: null }, []],
    [
      "required or auto-generated fields that mapped to nothing as untouched",
      { Alias: null, CommunityNickname: null, siteRole: null },
      { Alias: "jd", CommunityNickname: "jd123", siteRole: "Viewer" },
      [],
    ],
    ["booleans that came back as strings as equal", { IsActive: false }, { IsActive: "false" }, []],
    ["a boolean flip", { IsActive: false }, { IsActive: true }, ["IsActive"]],
    ["lists as case-insensitive sets", { permissionSets: ["B", "a"] }, { permissionSets: ["A", "b"] }, []],
    ["a list member added", { permissionSets: ["A", "C"] }, { permissionSets: ["A"] }, ["permissionSets"]],
    ["keys only the target has as not ours", { Title: "x" }, { Title: "x", ManagerId: "005y" }, []],
  ])("reports %s", (_what, desired, actual, expected) => {
    expect(diffFields(desired, actual)).toEqual(expected);
  });

  it("lists several changes in the desired order", () => {
    expect(
      diffFields(
        { Email: "a@x.io", Title: "B", LastName: "C" },
        { Email: "z@x.io", Title: "B", LastName: "D" },
      ),
    ).toEqual(["Email", "LastName"]);
  });
});
