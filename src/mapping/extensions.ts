// A per-user SCIM extension as data: each target kind declares its own (src/targets/<kind>/extension.ts) and
// the SCIM layer declares every registered kind's. scimmy 1.3.5 only accepts schema ids under
// urn:ietf:params:scim:schemas: (reference/scimmy.md §3.4).
import SCIMMY from "scimmy";

export type ExtensionAttribute = {
  name: string;
  type: "string" | "complex";
  description: string;
  multiValued?: boolean;
  canonicalValues?: readonly string[];
  subAttributes?: readonly ExtensionAttribute[];
};

export type ExtensionSchema = {
  /** Friendly schema name, unique among declared scimmy schemas. */
  name: string;
  id: string;
  description: string;
  attributes: readonly ExtensionAttribute[];
  /**
   * Other keys clients write this extension under (a vendor's own SCIM API may spell it differently); the SCIM
   * layer renames them to `id` on the way in.
   */
  aliases?: readonly string[];
};

function toAttribute(a: ExtensionAttribute, withCanonicalValues: boolean): SCIMMY.Types.Attribute {
  const config: SCIMMY.Types.Attribute.AttributeConfig = {
    required: false,
    multiValued: a.multiValued ?? false,
    description: a.description,
  };
  if (withCanonicalValues && a.canonicalValues) config.canonicalValues = [...a.canonicalValues];
  const subs = a.subAttributes?.map((s) => toAttribute(s, withCanonicalValues));
  return new SCIMMY.Types.Attribute(a.type, a.name, config, subs);
}

/**
 * A scimmy SchemaDefinition for an extension (not declared anywhere). canonicalValues are left out
 * by default because scimmy enforces them with a terse message, whereas pre-flight validation says
 * which field is wrong and how to fix it ("en-US" → did you mean "en_US"?).
 */
export function toScimmySchemaDefinition(
  ext: ExtensionSchema,
  options: { canonicalValues?: boolean } = {},
): SCIMMY.Types.SchemaDefinition {
  const attributes = ext.attributes.map((a) => toAttribute(a, options.canonicalValues ?? false));
  return new SCIMMY.Types.SchemaDefinition(ext.name, ext.id, ext.description, attributes);
}
