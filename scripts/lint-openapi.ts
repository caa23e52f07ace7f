// Lints openapi/scim-bridge.yaml: OpenAPI 3.1 meta-schema, local $refs, operation hygiene, and every schema
// compiled by Ajv (2020-12, strict) so a typo in a keyword or a bad regex fails here rather than in a test.
// Also the one loader of the document: test/support/openapi.ts validates real responses with `specAjv`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

export const SPEC_PATH = fileURLToPath(new URL("../openapi/scim-bridge.yaml", import.meta.url));
export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, unknown>;
export interface Operation extends Json {
  operationId?: string;
  summary?: string;
  responses?: Record<string, Json>;
}
export interface OpenApiDocument extends Json {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Json> } & Json;
}

export function loadSpec(path = SPEC_PATH): OpenApiDocument {
  return parse(readFileSync(path, "utf8")) as OpenApiDocument;
}

/** Every (method, path, operation) in the document. */
export function operationsOf(doc: OpenApiDocument) {
  const out: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op && typeof op === "object") out.push({ method, path, op: op as Operation });
    }
  }
  return out;
}

/** Follows a local JSON pointer (`#/components/…`); undefined when it does not resolve. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(1).split("/").slice(1)) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (!node || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Follows `$ref` chains of non-schema objects (responses, parameters, request bodies, headers). */
export function deref<T>(doc: OpenApiDocument, node: T): T {
  let current: unknown = node;
  for (let i = 0; i < 10 && current && typeof (current as Json).$ref === "string"; i++) {
    current = resolvePointer(doc, (current as Json).$ref as string);
  }
  return current as T;
}

const SCHEMAS_ID = "https://scim-bridge.local/openapi/schemas.json";

/**
 * An Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) holding the document's component schemas under one id, so
 * any schema of the document can be compiled with `compile` and its `#/components/schemas/…` refs resolve.
 */
export function specAjv(doc: OpenApiDocument) {
  // Named extension URNs also match the open `^urn:` pattern on purpose; `allOf: [Base, {required}]` names
  // properties defined in Base, which strictRequired cannot see.
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowMatchingProperties: true,
  });
  addFormats.default(ajv);
  // OpenAPI's own schema keywords are annotations; `x-status` is ours.
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example", "x-status"]);
  const retarget = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`));
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: retarget(doc.components?.schemas ?? {}) });
  return { ajv, compile: (schema: unknown) => ajv.compile(retarget(schema)) };
}

/** Every problem in the document, as readable one-line messages; empty when it is clean. */
export async function lintSpec(path = SPEC_PATH): Promise<string[]> {
  const problems: string[] = [];
  const validator = new Validator();
  const result = await validator.validate(path);
  if (!result.valid) {
    // The validator reports meta-schema failures as Ajv errors, and reference failures as one string.
    const errors = result.errors as
      | string
      | { instancePath?: string; message?: string; params?: unknown }[]
      | undefined;
    if (typeof errors === "string") problems.push(`references: ${errors}`);
    for (const e of Array.isArray(errors) ? errors : []) {
      problems.push(
        `meta-schema: ${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params ?? {})}`,
      );
    }
  }
  let doc: OpenApiDocument;
  try {
    doc = loadSpec(path);
  } catch (e) {
    return [...problems, `YAML: ${(e as Error).message}`];
  }
  problems.push(...unresolvedRefs(doc), ...operationProblems(doc), ...schemaProblems(doc));
  return problems;
}

function unresolvedRefs(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      // A property *named* "$ref" (SCIM's member reference) has an object value; only string values are refs.
      if (k === "$ref" && typeof v === "string" && resolvePointer(doc, v) === undefined) {
        out.push(`unresolved $ref "${v}" at ${at}`);
      }
      walk(v, `${at}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    }
  };
  walk(doc, "#");
  return out;
}

function operationProblems(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const { method, path, op } of operationsOf(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    if (!op.operationId) out.push(`${where}: no operationId`);
    if (!op.summary) out.push(`${where}: no summary`);
    if (!op.responses || !Object.keys(op.responses).length) out.push(`${where}: no responses`);
    if (op.operationId) {
      const other = seen.get(op.operationId);
      if (other) out.push(`${where}: operationId "${op.operationId}" is also used by ${other}`);
      seen.set(op.operationId, where);
    }
  }
  return out;
}

function schemaProblems(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  let spec: ReturnType<typeof specAjv>;
  try {
    spec = specAjv(doc);
  } catch (e) {
    return [`schemas: ${(e as Error).message}`];
  }
  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    try {
      spec.compile({ $ref: `#/components/schemas/${name}` });
    } catch (e) {
      out.push(`schema ${name}: ${(e as Error).message}`);
    }
  }
  // Inline schemas in operations (responses, parameters, bodies) compile too.
  for (const { method, path, op } of operationsOf(doc)) {
    for (const [status, res] of Object.entries(op.responses ?? {})) {
      const content = (deref(doc, res)?.content ?? {}) as Record<string, { schema?: unknown }>;
      for (const [type, media] of Object.entries(content)) {
        try {
          if (media.schema) spec.compile(media.schema);
        } catch (e) {
          out.push(`${method.toUpperCase()} ${path} ${status} ${type}: ${(e as Error).message}`);
        }
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const problems = await lintSpec();
  if (problems.length) {
    console.error(`openapi: ${problems.length} problem(s) in ${SPEC_PATH}`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log(`openapi: ${SPEC_PATH} is valid OpenAPI 3.1`);
}
