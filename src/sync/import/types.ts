// What an import reports: one result per account of the source target.
export type ImportResult = "created" | "linked" | "updated" | "skipped" | "failed";

export interface ImportItem {
  type: "User" | "Group";
  key: string;
  targetId: string;
  scimId?: string;
  result: ImportResult;
  reason?: string;
}

export interface ImportReport {
  from: string;
  applied: boolean;
  users: Record<ImportResult, number>;
  groups: Record<ImportResult, number>;
  items: ImportItem[];
  truncated: boolean;
  durationMs: number;
}

export interface ImportOptions {
  from: string;
  apply?: boolean;
  /** Accounts that are inactive in the source (Unlicensed in Tableau) are skipped unless asked for. */
  includeInactive?: boolean;
  onItem?: (item: ImportItem) => void;
  onProgress?: (p: { phase: "users" | "groups"; seen: number }) => void;
  maxItems?: number;
}

export const emptyResults = (): Record<ImportResult, number> => ({
  created: 0,
  linked: 0,
  updated: 0,
  skipped: 0,
  failed: 0,
});
