// Deactivation reaches Salesforce whatever else the record says: an offboarded user must lose access even when the
// deactivating write also carries fields Salesforce would refuse (a minimal PUT without email or name, an unknown
// profile). Checks read the emulator's org back with jsforce.
import type jsforce from "jsforce";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { salesforceConnection } from "../support/salesforce.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const SF = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("Salesforce deactivation", () => {
  let emulator: RunningSalesforceEmulator;
  let t: TestBridge;
  let conn: jsforce.Connection;
  beforeAll(async () => {
    emulator = await startSalesforceEmulator({ port: 0 });
    t = await startTestBridge({ targets: [salesforceEmulatorTargetConfig(emulator.url)] });
    conn = await salesforceConnection(emulator.url);
  });
  afterAll(async () => {
    await t?.stop();
    await emulator?.close();
  });

  const isActive = async (username: string) =>
    (await conn.query<{ IsActive: boolean }>(`SELECT IsActive FROM User WHERE Username = '${username}'`))
      .records[0]?.IsActive;
  const provisioned = async (username: string) => {
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user(username)).expect(201);
    await eventually(async () => (await isActive(username)) === true);
    return res.body.id as string;
  };
  /** Provisions the user, then one PATCH deactivates them and adds `value` to the Salesforce extension's `field`. */
  const deactivatedAlongWith = async (username: string, field: string, value: string) => {
    const id = await provisioned(username);
    await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [
          { op: "replace", path: "active", value: false },
          { op: "add", path: `${SF}:${field}`, value },
        ],
      })
      .expect(200);
    await eventually(async () => (await isActive(username)) === false);
  };

  it("deactivates on a minimal PUT that carries no email and no name", async () => {
    const id = await provisioned("minimal.put@example.com");
    await t.request
      .put(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [CORE], userName: "minimal.put@example.com", active: false })
      .expect(200);
    await eventually(async () => (await isActive("minimal.put@example.com")) === false);
  });

  it("deactivates when the same write names a profile Salesforce does not have", async () => {
    await deactivatedAlongWith("unknown.profile@example.com", "ProfileId", "No Such Profile");
  });

  it("accepts and delivers a deactivation even when the same write carries a value Salesforce would refuse", async () => {
    await deactivatedAlongWith("long.alias@example.com", "Alias", "much-too-long");
  });
});
