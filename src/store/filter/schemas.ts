import SCIMMY from "scimmy";
import type { AttributePath } from "./ast.ts";

export type ResourceKind = "User" | "Group";
export type SchemaDefinition = InstanceType<typeof SCIMMY.Types.SchemaDefinition>;
export type Attribute = InstanceType<typeof SCIMMY.Types.Attribute>;

/** An attribute path resolved against the resource's schemas. */
export interface ResolvedPath {
  /** The schema holding the attribute; its id is the JSONB key of extension attributes. */
  schema: SchemaDefinition;
  extension: boolean;
  attribute: Attribute;
  subAttribute?: Attribute;
}

const explicitExtensions: Record<ResourceKind, SchemaDefinition[]> = {
  User: [SCIMMY.Schemas.EnterpriseUser.definition],
  Group: [],
};

/**
 * Makes an extension schema's attributes usable in filters and sortBy for a resource type. Extensions
 * declared on scimmy's resource (`SCIMMY.Resources.declare(…, { extensions })`) are found without this;
 * the enterprise User extension is always known. Registering the same schema id again replaces it.
 */
export function registerFilterExtension(kind: ResourceKind, definition: SchemaDefinition): void {
  const list = explicitExtensions[kind];
  const existing = list.findIndex((known) => known.id.toLowerCase() === definition.id.toLowerCase());
  if (existing >= 0) list.splice(existing, 1, definition);
  else list.push(definition);
}

export function coreSchema(kind: ResourceKind): SchemaDefinition {
  return kind === "User" ? SCIMMY.Schemas.User.definition : SCIMMY.Schemas.Group.definition;
}

function extensionsOf(kind: ResourceKind): SchemaDefinition[] {
  const declared: SchemaDefinition[] = [];
  for (const entry of coreSchema(kind).attributes as unknown[]) {
    if (entry instanceof SCIMMY.Types.SchemaDefinition) declared.push(entry);
  }
  return [...explicitExtensions[kind], ...declared];
}

/** Problems are reported through `fail`, so filters can answer invalidFilter and sortBy invalidValue. */
export type Fail = (detail: string) => never;

/** Resolves a top-level attrPath (optionally URN-qualified) of a User or Group. */
export function resolvePath(kind: ResourceKind, path: AttributePath, fail: Fail): ResolvedPath {
  let schema = coreSchema(kind);
  let extension = false;
  if (path.uri !== undefined) {
    const uri = path.uri.toLowerCase();
    if (uri !== schema.id.toLowerCase()) {
      const found = extensionsOf(kind).find((candidate) => candidate.id.toLowerCase() === uri);
      if (!found) fail(`Unknown schema '${path.uri}' in attribute '${path.text}' for ${kind} resources`);
      schema = found;
      extension = true;
    }
  }
  const attribute = findAttribute(schema.attributes, path.name, extension);
  if (!attribute) fail(`Unknown attribute '${path.text}' for ${kind} resources`);
  checkReadable(attribute, path.text, fail);
  const resolved: ResolvedPath = { schema, extension, attribute };
  if (path.subAttr !== undefined) {
    resolved.subAttribute = resolveSubAttribute(attribute, path.subAttr, path.text, fail);
  }
  return resolved;
}

/** Resolves `sub` as a sub-attribute of a complex attribute (inside `emails[…]` or after a dot). */
export function resolveSubAttribute(parent: Attribute, sub: string, text: string, fail: Fail): Attribute {
  if (parent.type !== "complex") fail(`Attribute '${parent.name}' has no sub-attributes (in '${text}')`);
  const attribute = findAttribute(parent.subAttributes ?? [], sub, false);
  if (!attribute) fail(`Unknown attribute '${text}': '${parent.name}' has no sub-attribute '${sub}'`);
  checkReadable(attribute, text, fail);
  return attribute;
}

function findAttribute(candidates: unknown[], name: string, extension: boolean): Attribute | undefined {
  const wanted = name.toLowerCase();
  for (const candidate of candidates) {
    if (!(candidate instanceof SCIMMY.Types.Attribute)) continue;
    // Extension definitions repeat schemas/id/externalId/meta as shadows; those belong to the core.
    if (extension && candidate.config.shadow) continue;
    if (candidate.name.toLowerCase() === wanted) return candidate;
  }
  return undefined;
}

function checkReadable(attribute: Attribute, text: string, fail: Fail): void {
  const returned = attribute.config.returned;
  if (returned === "never" || returned === false)
    fail(`Attribute '${text}' cannot be used in a filter or sort`);
}
