import type { FieldDef, ObjectDef } from "./schema.ts";
import { OBJECTS, relationshipName } from "./schema.ts";

// describe and global describe bodies, trimmed to the keys clients read.

const SOAP_TYPES: Record<string, string> = {
  id: "tns:ID",
  reference: "tns:ID",
  boolean: "xsd:boolean",
  datetime: "xsd:dateTime",
  int: "xsd:int",
};

function describeField(f: FieldDef): Record<string, unknown> {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: SOAP_TYPES[f.type] ?? "xsd:string",
    length: f.type === "boolean" || f.type === "datetime" || f.type === "int" ? 0 : (f.length ?? 255),
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    defaultedOnCreate: f.defaultValue !== undefined || f.name === "CommunityNickname" || !f.createable,
    defaultValue: f.defaultValue ?? null,
    unique: f.unique ?? false,
    externalId: f.externalId ?? false,
    idLookup:
      f.type === "id" ||
      f.name === "Username" ||
      f.name === "FederationIdentifier" ||
      f.name === "CommunityNickname",
    filterable: true,
    sortable: f.type !== "textarea",
    custom: false,
    restrictedPicklist: f.type === "picklist",
    picklistValues: (f.picklist ?? []).map((value) => ({
      active: true,
      defaultValue: f.defaultValue === value,
      label: value,
      validFor: null,
      value,
    })),
    referenceTo: f.referenceTo ?? [],
    relationshipName: relationshipName(f) ?? null,
  };
}

function urls(def: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${def.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

function basics(def: ObjectDef, version: string): Record<string, unknown> {
  return {
    name: def.name,
    label: def.label,
    labelPlural: `${def.label}s`,
    keyPrefix: def.keyPrefix,
    custom: false,
    createable: def.createable,
    updateable: def.updateable,
    deletable: def.deletable,
    queryable: true,
    retrieveable: true,
    searchable: true,
    undeletable: def.deletable,
    urls: urls(def, version),
  };
}

export function describeObject(def: ObjectDef, version: string): Record<string, unknown> {
  return {
    ...basics(def, version),
    fields: def.fields.map(describeField),
    childRelationships: [],
    recordTypeInfos: [],
  };
}

export function describeGlobal(version: string): Record<string, unknown> {
  return {
    encoding: "UTF-8",
    maxBatchSize: 200,
    sobjects: [...OBJECTS.values()].map((d) => basics(d, version)),
  };
}
