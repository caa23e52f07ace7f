export {
  type Change,
  type ChangeAction,
  type ChangeListener,
  ConcurrentWrite,
  Directory,
  type Relation,
  type ResourceView,
  type UpdateRequest,
  type WriteContext,
} from "./directory.ts";
