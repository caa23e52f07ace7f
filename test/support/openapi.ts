// Checks real HTTP responses against openapi/scim-bridge.yaml: status described, content type listed, body valid
// against the response schema (Ajv, JSON Schema 2020-12), required headers present and well-formed.
import type { ValidateFunction } from "ajv";
import {
  deref,
  loadSpec,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  specAjv,
} from "../../scripts/lint-openapi.ts";

type Headers = Record<string, string | string[] | undefined>;
interface MediaType {
  schema?: unknown;
}
interface HeaderObject {
  required?: boolean;
  schema?: unknown;
}
interface ResponseObject {
  description?: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaType>;
}

let cached: { doc: OpenApiDocument; spec: ReturnType<typeof specAjv> } | undefined;
const validators = new Map<string, ValidateFunction>();

export function openApiDocument(): OpenApiDocument {
  cached ??= (() => {
    const doc = loadSpec();
    return { doc, spec: specAjv(doc) };
  })();
  return cached.doc;
}

/** "METHOD template status" of every response this process checked, to spot operations no test exercised. */
export const checkedResponses = new Set<string>();

function validatorFor(key: string, schema: unknown): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    openApiDocument();
    v = cached!.spec.compile(schema);
    validators.set(key, v);
  }
  return v;
}

function operation(method: string, template: string): Operation {
  const doc = openApiDocument();
  const op = doc.paths[template]?.[method.toLowerCase()] as Operation | undefined;
  if (!op) {
    const known = operationsOf(doc).map((o) => `${o.method.toUpperCase()} ${o.path}`);
    throw new Error(
      `The spec has no ${method.toUpperCase()} ${template}; it describes:\n  ${known.join("\n  ")}`,
    );
  }
  return op;
}

const mediaTypeOf = (contentType: string | undefined) => contentType?.split(";")[0]?.trim().toLowerCase();
const headerValue = (headers: Headers, name: string) => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
};
const excerpt = (body: unknown) => {
  const s = typeof body === "string" ? body : JSON.stringify(body, null, 2);
  return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
};
const isEmpty = (body: unknown) =>
  body === undefined ||
  body === "" ||
  (typeof body === "object" && body !== null && !Object.keys(body).length);

/**
 * Throws a readable error unless the response is one the spec describes for this operation. `body` is the parsed
 * JSON (or text); `headers` (lower-case names, as supertest gives them) enable the content-type and header checks.
 */
export function expectMatchesSpec(
  method: string,
  template: string,
  status: number,
  body: unknown,
  headers?: Headers,
) {
  const where = `${method.toUpperCase()} ${template} → ${status}`;
  const op = operation(method, template);
  const doc = openApiDocument();
  const declared =
    op.responses?.[String(status)] ?? op.responses?.[`${String(status)[0]}XX`] ?? op.responses?.default;
  if (!declared) {
    throw new Error(
      `${where}: the spec does not describe this status (it lists ${Object.keys(op.responses ?? {}).join(", ")})\nbody: ${excerpt(body)}`,
    );
  }
  const response = deref(doc, declared) as ResponseObject;
  const problems: string[] = [];

  if (headers) {
    for (const [name, raw] of Object.entries(response.headers ?? {})) {
      const h = deref(doc, raw);
      const value = headerValue(headers, name);
      if (value === undefined) {
        if (h.required) problems.push(`header ${name} is required but missing`);
        continue;
      }
      if (h.schema) {
        const validate = validatorFor(`${where} header ${name}`, h.schema);
        if (!validate(value))
          problems.push(`header ${name}: ${JSON.stringify(value)} ${validate.errors?.[0]?.message}`);
      }
    }
  }

  const content = response.content ?? {};
  const types = Object.keys(content);
  if (!types.length) {
    if (!isEmpty(body)) problems.push(`the spec describes no body, but one came back`);
  } else {
    const actualType = headers ? mediaTypeOf(headerValue(headers, "content-type")) : types[0];
    const media = actualType ? content[actualType] : undefined;
    if (!media) {
      problems.push(`content type ${actualType ?? "(none)"} is not one the spec lists (${types.join(", ")})`);
    } else if (media.schema) {
      const validate = validatorFor(`${where} ${actualType}`, media.schema);
      if (!validate(body)) {
        for (const e of validate.errors ?? []) {
          const extra = (e.params as { additionalProperty?: string }).additionalProperty;
          problems.push(
            `body${e.instancePath || ""}: ${e.message}${extra ? ` "${extra}"` : ""} (${e.schemaPath})`,
          );
        }
      }
    }
  }

  if (problems.length) {
    throw new Error(
      `${where} does not match the spec:\n  - ${problems.join("\n  - ")}\nbody: ${excerpt(body)}`,
    );
  }
  checkedResponses.add(`${method.toUpperCase()} ${template} ${status}`);
}

/** The same check on a supertest response. */
export function expectResponseMatchesSpec(
  method: string,
  template: string,
  res: { status: number; body: unknown; text?: string; headers: Headers },
) {
  const type = mediaTypeOf(headerValue(res.headers, "content-type"));
  const body = type && !type.includes("json") ? res.text : res.body;
  expectMatchesSpec(method, template, res.status, body, res.headers);
}

interface StackLayer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[]; routes?: string[] };
}

/**
 * Every route an Express 5 app serves, as "METHOD /path/{param}" ("ALL" for `router.all`), found by walking the
 * router stack: mounted routers carry their mount path in `rawPath`.
 */
export function expressRoutes(app: { router: { stack: StackLayer[] } }): string[] {
  const out = new Set<string>();
  const join = (a: string, b: string) => `${a.replace(/\/$/, "")}${b === "/" ? "" : b}` || "/";
  const asList = (p: string | string[] | undefined) => (Array.isArray(p) ? p : [p ?? "/"]);
  const walk = (stack: StackLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of asList(layer.route.path)) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on)
              out.add(
                `${method === "_all" ? "ALL" : method.toUpperCase()} ${join(prefix, path).replace(/:(\w+)/g, "{$1}")}`,
              );
          }
        }
      } else if (layer.handle?.routes) {
        // A layer that dispatches several routes itself lists them (scim/routes.ts).
        for (const route of layer.handle.routes) {
          const [method, path] = route.split(" ") as [string, string];
          for (const mount of asList(layer.rawPath)) out.add(`${method} ${join(join(prefix, mount), path)}`);
        }
      } else if (layer.handle?.stack) {
        for (const mount of asList(layer.rawPath)) walk(layer.handle.stack, join(prefix, mount));
      }
    }
  };
  walk(app.router.stack, "");
  return [...out];
}

/** Routes the spec does not describe: "ALL" routes need the path, the others method and path. */
export function routesMissingFromSpec(routes: string[]): string[] {
  const doc = openApiDocument();
  const shape = (path: string) => path.replace(/\{[^}]+\}/g, "{}");
  const described = new Map<string, Set<string>>();
  for (const { method, path } of operationsOf(doc)) {
    const methods = described.get(shape(path)) ?? new Set<string>();
    methods.add(method.toUpperCase());
    described.set(shape(path), methods);
  }
  return routes.filter((r) => {
    const [method, path] = r.split(" ") as [string, string];
    const methods = described.get(shape(path));
    return !methods || (method !== "ALL" && !methods.has(method));
  });
}
