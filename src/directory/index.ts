export type { ListRequest, ResourceType } from "../store/index.ts";
export {
  type Change,
  type ChangeAction,
  type ChangeListener,
  Directory,
  type Relation,
  type ResourceView,
  type UpdateRequest,
  type WriteContext,
} from "./directory.ts";
