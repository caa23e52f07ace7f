import { SalesforceApiError } from "./errors.ts";
import type { ObjectDef } from "./schema.ts";
import type { SfRecord, SfValue } from "./table.ts";

export function recordUrl(version: string, type: string, id: SfValue): string {
  return `/services/data/v${version}/sobjects/${type}/${String(id)}`;
}

/** A record as retrieve returns it: `attributes` first, then the requested fields (all by default). */
export function projectRecord(
  def: ObjectDef,
  record: SfRecord,
  fields: string[] | undefined,
  version: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: def.name, url: recordUrl(version, def.name, record.Id ?? null) },
  };
  const names = fields ?? def.fields.map((f) => f.name);
  for (const name of names) {
    const field = def.byName.get(name.trim().toLowerCase());
    if (!field)
      throw new SalesforceApiError(
        400,
        "INVALID_FIELD",
        `No such column '${name}' on entity '${def.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    out[field.name] = record[field.name] ?? null;
  }
  return out;
}
