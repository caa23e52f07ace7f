// Who a job's or an audit event's resource is, beside its id: its userName and displayName, also once it is deleted
// (held deprovisions are mostly of deleted users: the admin approves removing someone's access).
import type { ResourceNames, ResourceType } from "../../store/index.ts";
import { type Html, html } from "./html.ts";

export interface Named extends ResourceNames {
  resourceType: ResourceType | null;
  resourceId: string | null;
}

const PATH = { User: "users", Group: "groups" } as const;

/** The resource's name linked to its page, its displayName, "deleted" when it is, and its id. */
export function who(r: Named): Html {
  if (!r.resourceId) return html`—`;
  const type = r.resourceType ?? "User";
  const name = (type === "User" ? r.userName : r.displayName) ?? `${type} ${r.resourceId.slice(0, 8)}…`;
  const display =
    type === "User" && r.displayName && r.displayName !== r.userName ? r.displayName : undefined;
  return html`<a href="/console/${PATH[type]}/${r.resourceId}" data-who>${name}</a>${
    display ? html` <span data-display-name>${display}</span>` : ""
  }${r.deleted ? html` <span class="badge" data-deleted>deleted</span>` : ""}
<br><code class="muted" data-resource-id>${r.resourceId}</code>`;
}
