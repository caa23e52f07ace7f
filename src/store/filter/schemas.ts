import type { AttributePath } from "./ast.ts";

export type ResourceKind = "User" | "Group";

/** What the filter compiler needs to know of one attribute (RFC 7643 §7), as plain data. */
export interface AttributeDef {
  name: string;
  type: "string" | "boolean" | "decimal" | "integer" | "dateTime" | "binary" | "reference" | "complex";
  multiValued: boolean;
  caseExact: boolean;
  /** `returned: never` (a password): such an attribute cannot be filtered or sorted on. */
  neverReturned: boolean;
  /** `mutability: writeOnly`: its value is never shown (the audit records only that it changed). */
  writeOnly?: boolean;
  subAttributes?: AttributeDef[];
}

export interface SchemaDef {
  /** The schema URN; an extension's attributes live under this key of the stored body. */
  id: string;
  attributes: AttributeDef[];
}

/** The schemas of one resource type: its core schema and every extension a filter or sortBy may name. */
export interface ResourceSchema {
  kind: ResourceKind;
  core: SchemaDef;
  extensions: SchemaDef[];
}

/** The schemas of every resource type, built once when the bridge starts and passed to whatever compiles filters. */
export type SchemaSet = Record<ResourceKind, ResourceSchema>;

/** An attribute path resolved against the resource's schemas. */
export interface ResolvedPath {
  /** The schema holding the attribute; its id is the JSONB key of extension attributes. */
  schema: SchemaDef;
  extension: boolean;
  attribute: AttributeDef;
  subAttribute?: AttributeDef;
}

/** Problems are reported through `fail`, so filters can answer invalidFilter and sortBy invalidValue. */
export type Fail = (detail: string) => never;

/** Resolves a top-level attrPath (optionally URN-qualified) of a User or Group. */
export function resolvePath(resource: ResourceSchema, path: AttributePath, fail: Fail): ResolvedPath {
  const { kind } = resource;
  let schema = resource.core;
  let extension = false;
  if (path.uri !== undefined) {
    const uri = path.uri.toLowerCase();
    if (uri !== schema.id.toLowerCase()) {
      const found = resource.extensions.find((candidate) => candidate.id.toLowerCase() === uri);
      if (!found) fail(`Unknown schema '${path.uri}' in attribute '${path.text}' for ${kind} resources`);
      schema = found;
      extension = true;
    }
  }
  const attribute = findAttribute(schema.attributes, path.name);
  if (!attribute) fail(`Unknown attribute '${path.text}' for ${kind} resources`);
  checkReadable(attribute, path.text, fail);
  const resolved: ResolvedPath = { schema, extension, attribute };
  if (path.subAttr !== undefined) {
    resolved.subAttribute = resolveSubAttribute(attribute, path.subAttr, path.text, fail);
  }
  return resolved;
}

/** Resolves `sub` as a sub-attribute of a complex attribute (inside `emails[…]` or after a dot). */
export function resolveSubAttribute(
  parent: AttributeDef,
  sub: string,
  text: string,
  fail: Fail,
): AttributeDef {
  if (parent.type !== "complex") fail(`Attribute '${parent.name}' has no sub-attributes (in '${text}')`);
  const attribute = findAttribute(parent.subAttributes ?? [], sub);
  if (!attribute) fail(`Unknown attribute '${text}': '${parent.name}' has no sub-attribute '${sub}'`);
  checkReadable(attribute, text, fail);
  return attribute;
}

function findAttribute(candidates: AttributeDef[], name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return candidates.find((candidate) => candidate.name.toLowerCase() === wanted);
}

function checkReadable(attribute: AttributeDef, text: string, fail: Fail): void {
  if (attribute.neverReturned) fail(`Attribute '${text}' cannot be used in a filter or sort`);
}
