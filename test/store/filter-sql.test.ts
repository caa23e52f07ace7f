import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import {
  type AttributeDef,
  compileFilter,
  compileSort,
  type ResourceKind,
  type SchemaSet,
} from "../../src/store/filter/index.ts";
import { BACKENDS, type Backend, openTestDb } from "../support/store.ts";

/**
 * Runs compiled filters and sorts against the real schema: on PGlite always, and on PostgreSQL too when
 * DATABASE_URL is set (in a throw-away schema), checking that each returns exactly the right rows.
 */

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const TEST_EXTENSION = "urn:ietf:params:scim:schemas:extension:filtertest:2.0:User";

const typed = (name: string, type: AttributeDef["type"], caseExact = false): AttributeDef => ({
  name,
  type,
  multiValued: false,
  caseExact,
  neverReturned: false,
});

/** The bridge's schemas plus an extension with typed attributes for these tests. */
const DECLARED = bridgeSchemaSet();
const SCHEMAS: SchemaSet = {
  ...DECLARED,
  User: {
    ...DECLARED.User,
    extensions: [
      ...DECLARED.User.extensions,
      {
        id: TEST_EXTENSION,
        attributes: [
          typed("level", "integer"),
          typed("hired", "dateTime"),
          typed("remote", "boolean"),
          typed("badge", "string", true),
        ],
      },
    ],
  },
};

interface Database {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A migrated store (every migration, so the filter's index-backed expressions exist), as rows in, rows out. */
async function open(backend: Backend): Promise<Database> {
  const s = await openTestDb(backend);
  return {
    query: async (sql, params) => (await s.db.query<Record<string, unknown>>(sql, params)).rows,
    close: () => s.close(),
  };
}

const backends: [string, () => Promise<Database>][] = BACKENDS.map((b) => [
  b === "pglite" ? "PGlite" : "PostgreSQL",
  () => open(b),
]);

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

interface SeedUser {
  userName: string;
  displayName?: string;
  externalId?: string;
  active?: boolean;
  version?: number;
  created: string;
  lastModified: string;
  data?: Record<string, unknown>;
}

const work = (value: string, primary = false) => ({ value, type: "work", ...(primary ? { primary } : {}) });

const USERS: SeedUser[] = [
  {
    userName: "alice",
    displayName: "Alice Anderson",
    externalId: "E-001",
    created: "2024-01-01T00:00:00Z",
    lastModified: "2024-06-01T00:00:00Z",
    version: 3,
    data: {
      name: { givenName: "Alice", familyName: "Anderson" },
      emails: [work("alice@example.com", true), { value: "alice@home.example.org", type: "home" }],
      [ENTERPRISE]: { department: "Sales", employeeNumber: "1001", manager: { value: id(6) } },
      [TEST_EXTENSION]: { level: 5, hired: "2019-03-01T00:00:00Z", remote: true, badge: "Gold" },
    },
  },
  {
    userName: "adam.z",
    displayName: "Adam Zed",
    created: "2024-01-02T00:00:00Z",
    lastModified: "2024-01-02T00:00:00Z",
    data: { [ENTERPRISE]: { department: "Engineering" }, [TEST_EXTENSION]: { level: 2, remote: false } },
  },
  {
    userName: "annie",
    displayName: "Bobby Annie",
    created: "2024-01-03T00:00:00Z",
    lastModified: "2024-07-15T12:30:00Z",
    data: { [ENTERPRISE]: { department: "engineering" }, [TEST_EXTENSION]: { level: 3, badge: "gold" } },
  },
  {
    userName: "arthur",
    displayName: "Arthur King",
    active: false,
    created: "2024-01-04T00:00:00Z",
    lastModified: "2024-01-04T00:00:00Z",
    data: { name: { familyName: "King" }, [TEST_EXTENSION]: { hired: "2021-09-01T00:00:00Z" } },
  },
  { userName: "amy", created: "2024-01-05T00:00:00Z", lastModified: "2024-01-05T00:00:00Z" },
  {
    userName: "bob",
    displayName: "Bob Builder",
    externalId: "E-002",
    created: "2024-01-06T00:00:00Z",
    lastModified: "2024-08-01T00:00:00Z",
    data: {
      name: { familyName: "builder" },
      emails: [{ value: "BOB@Other.example", type: "other" }, work("bob@example.com")],
      title: "Manager",
    },
  },
  {
    userName: "carol",
    displayName: "Carol Danvers",
    externalId: "e-001",
    created: "2024-01-07T00:00:00Z",
    lastModified: "2024-01-07T00:00:00Z",
    data: { name: { familyName: "Danvers" }, emails: [work("carol@corp.example")] },
  },
  {
    userName: "Dave",
    displayName: "Dave",
    created: "2024-01-08T00:00:00Z",
    lastModified: "2024-01-08T00:00:00Z",
  },
  {
    userName: "eve_100%",
    displayName: "",
    created: "2024-01-09T00:00:00Z",
    lastModified: "2024-01-09T00:00:00Z",
    data: { emails: [] },
  },
  {
    userName: "dom\\kim",
    displayName: "Kim",
    created: "2024-01-10T00:00:00Z",
    lastModified: "2024-01-10T00:00:00Z",
    data: { name: { familyName: "Kim", givenName: "" } },
  },
  ...Array.from({ length: 10 }, (_, i) => ({
    userName: `user${i + 11}`,
    displayName: `Filler ${i + 11}`,
    active: i % 2 === 0,
    created: `2024-02-${String(i + 1).padStart(2, "0")}T00:00:00Z`,
    lastModified: `2024-02-${String(i + 1).padStart(2, "0")}T00:00:00Z`,
  })),
];
const userId = (userName: string) => id(USERS.findIndex((user) => user.userName === userName) + 1);
const ALL_USERS = USERS.map((user) => user.userName).sort();

const GROUPS = [
  {
    n: 101,
    displayName: "Tableau Users",
    externalId: "TAB",
    members: [userId("alice"), userId("bob"), id(102)],
  },
  { n: 102, displayName: "Engineering", externalId: null, members: [userId("adam.z"), userId("annie")] },
  { n: 103, displayName: "Empty Group", externalId: null, members: [] },
  { n: 104, displayName: "Admins", externalId: "ADM", members: [userId("carol")] },
];

async function seed(db: Database): Promise<void> {
  for (const [index, user] of USERS.entries()) {
    const data = {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: user.userName,
      ...user.data,
    };
    if (ENTERPRISE in data) data.schemas.push(ENTERPRISE);
    if (user.displayName !== undefined) Object.assign(data, { displayName: user.displayName });
    await db.query(
      `INSERT INTO users (id, user_name, external_id, display_name, active, data, version, created, last_modified)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id(index + 1),
        user.userName,
        user.externalId ?? null,
        user.displayName ?? null,
        user.active ?? true,
        JSON.stringify(data),
        user.version ?? 1,
        user.created,
        user.lastModified,
      ],
    );
  }
  for (const group of GROUPS) {
    const data = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: group.displayName };
    await db.query(
      "INSERT INTO groups (id, display_name, external_id, data, created) VALUES ($1, $2, $3, $4, $5)",
      [
        id(group.n),
        group.displayName,
        group.externalId,
        JSON.stringify(data),
        `2024-03-0${group.n - 100}T00:00:00Z`,
      ],
    );
    for (const member of group.members) {
      const type = member === id(102) ? "Group" : "User";
      await db.query("INSERT INTO group_members (group_id, member_id, member_type) VALUES ($1, $2, $3)", [
        id(group.n),
        member,
        type,
      ]);
    }
  }
}

describe.each(backends)("filters and sorting on %s", (_name, open) => {
  let db: Database;

  beforeAll(async () => {
    db = await open();
    await seed(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  async function select(kind: ResourceKind, filter: string, column: string): Promise<string[]> {
    const params: unknown[] = [];
    const where = compileFilter(SCHEMAS[kind], filter, params);
    const table = kind === "User" ? "users" : "groups";
    const rows = await db.query(`SELECT ${column} AS name FROM ${table} t WHERE ${where}`, params);
    return rows.map((row) => String(row.name)).sort();
  }
  const users = (filter: string) => select("User", filter, "user_name");
  const groups = (filter: string) => select("Group", filter, "display_name");
  const except = (...names: string[]) => ALL_USERS.filter((name) => !names.includes(name));

  async function sorted(kind: ResourceKind, sortBy?: string, sortOrder?: string, page?: [number, number]) {
    const table = kind === "User" ? "users" : "groups";
    const column = kind === "User" ? "user_name" : "display_name";
    const limit = page ? ` LIMIT ${page[1]} OFFSET ${page[0]}` : "";
    const rows = await db.query(
      `SELECT ${column} AS name FROM ${table} t ORDER BY ${compileSort(SCHEMAS[kind], sortBy, sortOrder)}${limit}`,
    );
    return rows.map((row) => String(row.name));
  }

  it.each([
    ['userName eq "alice"', ["alice"]],
    ['userName eq "ALICE"', ["alice"]],
    ['userName eq "dave"', ["Dave"]],
    ['userName ne "alice"', except("alice")],
    ['userName co "RTHU"', ["arthur"]],
    ['userName sw "A"', ["adam.z", "alice", "amy", "annie", "arthur"]],
    ['userName ew "Z"', ["adam.z"]],
    ['userName gt "user18"', ["user19", "user20"]],
    ['userName ge "user19"', ["user19", "user20"]],
    ['userName lt "alice"', ["adam.z"]],
    ['userName le "alice"', ["adam.z", "alice"]],
    ['userName co "%"', ["eve_100%"]],
    ['userName co "_1"', ["eve_100%"]],
    [String.raw`userName sw "dom\\"`, ["dom\\kim"]],
    [String.raw`userName eq "dom\\kim"`, ["dom\\kim"]],
  ])("string operators honour caseExact=false and escape LIKE: %s", async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });

  it("evaluates not (A or B) as not A and not B, unlike scimmy's DNF", async () => {
    expect(await users('userName sw "A" and not (userName ew "Z" or displayName co "Bob")')).toEqual([
      "alice",
      "amy",
      "arthur",
    ]);
  });

  it.each([
    ['userName eq "bob" or userName eq "carol" and active eq false', ["bob"]],
    ['(userName eq "bob" or userName eq "carol") and active eq true', ["bob", "carol"]],
    ['not (not (userName eq "amy"))', ["amy"]],
  ])("and binds tighter than or, parentheses regroup: %s", async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });

  it("compares caseExact attributes exactly (externalId)", async () => {
    expect(await users('externalId eq "E-001"')).toEqual(["alice"]);
    expect(await users('externalId eq "e-001"')).toEqual(["carol"]);
    expect(await users('externalId sw "E-"')).toEqual(["alice", "bob"]);
  });

  it("treats an absent value as different for ne and not, and as absent for eq null", async () => {
    const withoutAlice = except("alice");
    expect(await users('displayName ne "Alice Anderson"')).toEqual(withoutAlice);
    expect(await users('not (displayName eq "Alice Anderson")')).toEqual(withoutAlice);
    expect(await users('title ne "Manager"')).toEqual(except("bob"));
    expect(await users("displayName eq null")).toEqual(["amy", "eve_100%"]);
    expect(await users("not (displayName pr)")).toEqual(["amy", "eve_100%"]);
    expect(await users("displayName ne null")).toEqual(except("amy", "eve_100%"));
  });

  it("pr ignores empty strings, arrays and absent objects", async () => {
    expect(await users("emails pr")).toEqual(["alice", "bob", "carol"]);
    expect(await users("name pr")).toEqual(["alice", "arthur", "bob", "carol", "dom\\kim"]);
    expect(await users("name.givenName pr")).toEqual(["alice"]);
    expect(await users("title pr")).toEqual(["bob"]);
  });

  it("filters booleans with eq/ne, accepting Entra's string booleans", async () => {
    const inactive = ["arthur", "user12", "user14", "user16", "user18", "user20"];
    expect(await users("active eq false")).toEqual(inactive);
    expect(await users('active eq "False"')).toEqual(inactive);
    expect(await users("active ne true")).toEqual(inactive);
  });

  it("filters sub-attributes of singular complex attributes", async () => {
    expect(await users('name.familyName eq "BUILDER"')).toEqual(["bob"]);
    expect(await users('name.familyName sw "an" or name.familyName ew "ERS"')).toEqual(["alice", "carol"]);
  });

  it("matches a multi-valued sub-attribute when any element matches", async () => {
    expect(await users('emails.value eq "bob@other.example"')).toEqual(["bob"]);
    expect(await users('emails co "example.com"')).toEqual(["alice", "bob"]);
    expect(await users('emails.type eq "home" and emails.value co "@example.com"')).toEqual(["alice"]);
  });

  it("evaluates a value filter on one element", async () => {
    expect(await users('emails[type eq "work" and value co "@example.com"]')).toEqual(["alice", "bob"]);
    expect(await users('emails[type eq "home" and value co "@example.com"]')).toEqual([]);
    expect(await users('emails[type eq "WORK"].value eq "BOB@example.com"')).toEqual(["bob"]);
    expect(await users('emails[not (type eq "work")]')).toEqual(["alice", "bob"]);
    expect(await users('emails[primary eq true and value sw "alice"]')).toEqual(["alice"]);
    expect(await users('not (emails[type eq "work"])')).toEqual(except("alice", "bob", "carol"));
  });

  it("filters extension attributes by their full URN path", async () => {
    expect(await users(`${ENTERPRISE}:department eq "ENGINEERING"`)).toEqual(["adam.z", "annie"]);
    expect(await users(`${ENTERPRISE.toUpperCase()}:Department eq "sales"`)).toEqual(["alice"]);
    expect(await users(`${ENTERPRISE}:manager.value eq "${userId("bob")}"`)).toEqual(["alice"]);
    expect(await users(`${ENTERPRISE}:employeeNumber pr`)).toEqual(["alice"]);
    expect(await users(`schemas eq "${ENTERPRISE}"`)).toEqual(["adam.z", "alice", "annie"]);
  });

  it("compares typed extension attributes as numbers, dates, booleans and exact strings", async () => {
    expect(await users(`${TEST_EXTENSION}:level ge 3`)).toEqual(["alice", "annie"]);
    expect(await users(`${TEST_EXTENSION}:level lt 3`)).toEqual(["adam.z"]);
    expect(await users(`${TEST_EXTENSION}:hired lt "2020-01-01T00:00:00Z"`)).toEqual(["alice"]);
    expect(await users(`${TEST_EXTENSION}:remote eq true`)).toEqual(["alice"]);
    expect(await users(`not (${TEST_EXTENSION}:remote eq true)`)).toEqual(except("alice"));
    expect(await users(`${TEST_EXTENSION}:badge eq "gold"`)).toEqual(["annie"]);
  });

  it("filters meta attributes on their columns", async () => {
    expect(await users('meta.lastModified gt "2024-06-01T00:00:00Z"')).toEqual(["annie", "bob"]);
    expect(await users('meta.lastModified ge "2024-06-01T00:00:00Z"')).toEqual(["alice", "annie", "bob"]);
    expect(await users('meta.created lt "2024-01-03T00:00:00+00:00"')).toEqual(["adam.z", "alice"]);
    expect(await users('meta.version eq "W/\\"3\\""')).toEqual(["alice"]);
    expect(await users("meta.version gt 1")).toEqual(["alice"]);
    expect(await users('meta.resourceType eq "user"')).toEqual(ALL_USERS);
  });

  it("filters by id, treating a non-UUID as matching nothing", async () => {
    expect(await users(`id eq "${userId("carol").toUpperCase()}"`)).toEqual(["carol"]);
    expect(await users('id eq "not-a-uuid"')).toEqual([]);
    expect(await users('id ne "not-a-uuid"')).toEqual(ALL_USERS);
  });

  it("filters a user's groups through group_members", async () => {
    expect(await users('groups[display eq "tableau users"]')).toEqual(["alice", "bob"]);
    expect(await users(`groups.value eq "${id(102)}"`)).toEqual(["adam.z", "annie"]);
    expect(await users('groups.display sw "ADM" or groups.display sw "eng"')).toEqual([
      "adam.z",
      "annie",
      "carol",
    ]);
    expect(await users("not (groups pr)")).toEqual(except("adam.z", "alice", "annie", "bob", "carol"));
  });

  it("filters a group's members through group_members", async () => {
    expect(await groups(`members[value eq "${userId("alice")}"]`)).toEqual(["Tableau Users"]);
    expect(await groups(`members.value eq "${id(102)}"`)).toEqual(["Tableau Users"]);
    expect(await groups('members[type eq "group"]')).toEqual(["Tableau Users"]);
    expect(await groups(`members[value eq "${userId("carol")}" and type eq "User"]`)).toEqual(["Admins"]);
    expect(await groups('members.display co "bob"')).toEqual(["Engineering", "Tableau Users"]);
    expect(await groups("not (members pr)")).toEqual(["Empty Group"]);
    expect(await groups('displayName eq "ENGINEERING" or externalId eq "ADM"')).toEqual([
      "Admins",
      "Engineering",
    ]);
    expect(await groups('externalId eq "adm"')).toEqual([]);
  });

  it("returns nothing for an injection attempt and leaves the table intact", async () => {
    expect(await users(`userName eq "x' OR 1=1 --"`)).toEqual([]);
    expect(await users(`userName eq "x'); DROP TABLE users; --"`)).toEqual([]);
    expect(await users("userName pr")).toEqual(ALL_USERS);
  });

  it("sorts by creation then id by default", async () => {
    expect(await sorted("User")).toEqual(USERS.map((user) => user.userName));
    expect(await sorted("Group")).toEqual(["Tableau Users", "Engineering", "Empty Group", "Admins"]);
  });

  it("sorts case-insensitive strings by lower(), in either direction", async () => {
    const byName = [...ALL_USERS].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(await sorted("User", "userName")).toEqual(byName);
    expect(await sorted("User", "userName", "descending")).toEqual([...byName].reverse());
    expect(await sorted("Group", "displayName", "descending")).toEqual([
      "Tableau Users",
      "Engineering",
      "Empty Group",
      "Admins",
    ]);
  });

  it("sorts missing values last and ties by id", async () => {
    const withNames = ["alice", "bob", "carol", "dom\\kim", "arthur"];
    const rest = USERS.map((user) => user.userName).filter((name) => !withNames.includes(name));
    expect(await sorted("User", "name.familyName")).toEqual([...withNames, ...rest]);
    expect(await sorted("User", `${TEST_EXTENSION}:level`, "descending")).toEqual([
      "alice",
      "annie",
      "adam.z",
      ...USERS.map((user) => user.userName).filter((name) => !["alice", "annie", "adam.z"].includes(name)),
    ]);
  });

  it("sorts a multi-valued attribute by its primary value, else its first", async () => {
    const top = await sorted("User", "emails.value");
    expect(top.slice(0, 3)).toEqual(["alice", "bob", "carol"]);
    expect(await sorted("User", "emails", "descending").then((names) => names.slice(0, 3))).toEqual([
      "carol",
      "bob",
      "alice",
    ]);
  });

  it("pages through many ties without repeating or skipping a row", async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < USERS.length; offset += 3) {
      seen.push(...(await sorted("User", "active", "descending", [offset, 3])));
    }
    expect(seen).toHaveLength(USERS.length);
    expect([...seen].sort()).toEqual(ALL_USERS);
    expect(seen.slice(-6).sort()).toEqual(["arthur", "user12", "user14", "user16", "user18", "user20"]);
  });
});

describe.each(backends)("index use on %s", (_name, open) => {
  let db: Database;

  beforeAll(async () => {
    db = await open();
    await db.query(`INSERT INTO users (id, user_name, external_id, display_name, data)
      SELECT gen_random_uuid(), 'user' || i, 'ext' || i, 'User ' || i, '{}'::jsonb FROM generate_series(1, 5000) AS i`);
    await db.query("ANALYZE users");
  });
  afterAll(async () => {
    await db?.close();
  });

  async function plan(filter: string): Promise<string> {
    const params: unknown[] = [];
    const where = compileFilter(SCHEMAS.User, filter, params);
    const rows = await db.query(`EXPLAIN SELECT id FROM users t WHERE ${where}`, params);
    return rows.map((row) => String(Object.values(row)[0])).join("\n");
  }

  it("looks up userName eq through an index on its name key", async () => {
    expect(await plan('userName eq "USER1234"')).toMatch(/users_user_name_(key|pattern)/);
  });

  it("looks up externalId eq through its index", async () => {
    expect(await plan('externalId eq "ext42"')).toContain("users_external_id");
  });
});
