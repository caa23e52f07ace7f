// Store-internal: which table holds each resource type (not re-exported from the store's index).
import type { ResourceType } from "./resources.ts";

export const TABLE: Record<ResourceType, string> = { User: "users", Group: "groups" };
