// The OpenAPI lint (`npm run lint`) passes on the real document and names each kind of problem it exists to catch.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintSpec, SPEC_PATH } from "../../scripts/lint-openapi.ts";

const dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lints a copy of the real document with one edit applied. */
async function lintEdited(edit: (yaml: string) => string) {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  const original = readFileSync(SPEC_PATH, "utf8");
  const edited = edit(original);
  expect(edited).not.toBe(original);
  writeFileSync(file, edited);
  return (await lintSpec(file)).join("\n");
}

describe("lint-openapi", () => {
  it("finds no problem in openapi/scim-bridge.yaml", async () => {
    expect(await lintSpec()).toEqual([]);
  });

  it("reports a document that breaks the OpenAPI 3.1 meta-schema", async () => {
    const out = await lintEdited((y) =>
      y.replace("servers:\n  - url: http://127.0.0.1:8080", "servers:\n  - uri: x"),
    );
    expect(out).toMatch(/meta-schema/);
  });

  it("reports an unresolved $ref with where it is", async () => {
    const out = await lintEdited((y) =>
      y.replace('$ref: "#/components/schemas/UserListResponse"', '$ref: "#/components/schemas/Nope"'),
    );
    expect(out).toMatch(/#\/components\/schemas\/Nope/);
  });

  it("reports an operation without operationId or summary, and duplicate operationIds", async () => {
    const out = await lintEdited((y) =>
      y
        .replace(/ +operationId: getHealth\n/, "")
        .replace(/ +summary: Readiness; the store answers\n/, "")
        .replace("operationId: getMetrics", "operationId: listUsers"),
    );
    expect(out).toContain("GET /healthz: no operationId");
    expect(out).toContain("GET /readyz: no summary");
    expect(out).toContain('GET /metrics: operationId "listUsers" is also used by GET /scim/v2/Users');
  });

  it("reports a schema keyword Ajv cannot compile", async () => {
    const out = await lintEdited((y) =>
      y.replace("totalResults: { type: integer, minimum: 0 }", "totalResults: { type: integer, minimun: 0 }"),
    );
    expect(out).toMatch(/schema ListResponse: .*minimun/);
  });
});
