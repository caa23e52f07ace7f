export type { ListRequest, ResourceType } from "../store/index.ts";
export { Directory } from "./directory.ts";
export type {
  Change,
  PlannedLink,
  Queued,
  Relation,
  ResourceView,
  UpdateRequest,
  WriteContext,
  WritePlan,
  WritePlanner,
} from "./types.ts";
