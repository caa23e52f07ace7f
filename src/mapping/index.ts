// mapping/: the generic, declarative SCIM User → target fields engine. Pure functions, no I/O; each target kind
// (src/targets/<kind>/) brings its own default mapping, field semantics and extension as data.
//
//   mappingSpecSchema(ruleKeys), MappingSpec, mergeMapping      — the config's `mapping:` of one target; the kind
//                                                                 says which keys its group rules set (RuleKeys)
//   evaluate(spec, input, ruleKeys)                             — fields + group rules, combined as the kind says
//   diffFields(desired, actual, semantics)                      — changed field names (semantics from the kind)
//   mappingUntouched(spec, alsoRead, before, after)             — a write leaves every mapped field as it was
//                                                                 (evaluating only the fields reading what changed)
//   Problem, howToFix, requiredProblem, …                       — the wording of pre-flight problems
//   ExtensionSchema, toScimmySchemaDefinition                   — a kind's SCIM user extension as data
export { diffFields, type FieldSemantics } from "./diff.ts";
export { evaluate, type MappedFields, type MappingInput, type ScimUser, unionNames } from "./evaluate.ts";
export { type Expr, isEmpty } from "./expr.ts";
export { type ExtensionAttribute, type ExtensionSchema, toScimmySchemaDefinition } from "./extensions.ts";
export { getIgnoringCase, primaryOrFirst } from "./path.ts";
export {
  emailProblem,
  type FieldContext,
  howToFix,
  lengthProblem,
  looksLikeEmail,
  type Problem,
  requiredProblem,
  show,
  type ValidateOptions,
} from "./problems.ts";
export { mappingUntouched } from "./reads.ts";
export { scimEmailExpr, userNameLocalPart } from "./scim-exprs.ts";
export {
  type GroupRule,
  type MappingSpec,
  type MappingSpecInput,
  mappingSpecSchema,
  mergeMapping,
  nameList,
  nonEmptyName,
  type RuleCombine,
  type RuleKey,
  type RuleKeys,
} from "./spec.ts";
