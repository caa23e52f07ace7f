export type { AttributePath, CompareOperator, CompareValue, FilterAst } from "./ast.ts";
export { compileFilter } from "./compile.ts";
export { FilterError, SortError } from "./errors.ts";
export { formatFilter } from "./format.ts";
export {
  FILTER_LIMITS,
  formatPatchPath,
  type PatchPath,
  parseAttributePath,
  parseFilter,
  parsePatchPath,
} from "./parser.ts";
export type { AttributeDef, ResourceKind, ResourceSchema, SchemaDef, SchemaSet } from "./schemas.ts";
export { compileSort, compileSortKey, type SortKey } from "./sort.ts";
