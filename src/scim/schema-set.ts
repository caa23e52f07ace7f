// The schema set the filter compiler resolves attribute paths against, built once from the declared SCIM schemas
// (the core User and Group, the enterprise extension, every registered kind's user extension, provisioning).
import SCIMMY from "scimmy";
import type { AttributeDef, SchemaDef, SchemaSet } from "../store/filter/index.ts";

type ScimmyAttribute = InstanceType<typeof SCIMMY.Types.Attribute>;
type ScimmySchema = InstanceType<typeof SCIMMY.Types.SchemaDefinition>;

function attributeDef(a: ScimmyAttribute): AttributeDef {
  const { returned } = a.config;
  return {
    name: a.name,
    type: a.type as AttributeDef["type"],
    multiValued: a.config.multiValued === true,
    caseExact: a.config.caseExact === true,
    neverReturned: returned === "never" || returned === false,
    ...(a.config.mutable === true && a.config.direction === "in" ? { writeOnly: true } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeDef) } : {}),
  };
}

/**
 * A scimmy schema as the filter compiler sees it: its own attributes only, without the extensions scimmy nests in
 * a core schema and without the shadow copies of schemas/id/externalId/meta an extension repeats from the core.
 */
function schemaDef(definition: ScimmySchema, extension: boolean): SchemaDef {
  const attributes: AttributeDef[] = [];
  for (const entry of definition.attributes as unknown[]) {
    if (!(entry instanceof SCIMMY.Types.Attribute)) continue;
    if (extension && entry.config.shadow) continue;
    attributes.push(attributeDef(entry));
  }
  return { id: definition.id, attributes };
}

function extensionsOf(core: ScimmySchema, always: ScimmySchema[]): SchemaDef[] {
  const declared = (core.attributes as unknown[]).filter(
    (entry): entry is ScimmySchema => entry instanceof SCIMMY.Types.SchemaDefinition,
  );
  const all = [...always, ...declared.filter((d) => !always.some((a) => a.id === d.id))];
  return all.map((d) => schemaDef(d, true));
}

/** What filters and sortBy may name on each resource type, as declared (declareScimSchemas runs first). */
export function scimSchemaSet(): SchemaSet {
  const user = SCIMMY.Schemas.User.definition;
  const group = SCIMMY.Schemas.Group.definition;
  return {
    User: {
      kind: "User",
      core: schemaDef(user, false),
      extensions: extensionsOf(user, [SCIMMY.Schemas.EnterpriseUser.definition]),
    },
    Group: { kind: "Group", core: schemaDef(group, false), extensions: extensionsOf(group, []) },
  };
}
