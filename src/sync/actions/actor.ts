// Who acts, and what each role may do. A person signed in through the IdP, or an admin token (named, or the
// break-glass one), always carries one of three roles; each operator action names the least role it needs.

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The one who asks for an action, as the audit records it. */
export interface Actor {
  /** The audit's actor: a person's email (or subject when the IdP sent no email), or an admin token's name. */
  name: string;
  /** A person's OpenID Connect subject. */
  subject?: string | undefined;
  email?: string | undefined;
  role: Role;
  /** The client address (as TRUST_PROXY says to read it). */
  source?: string | undefined;
  /** Which door the action came through. */
  door: "console" | "admin-api";
  requestId?: string | undefined;
}

/** Every operator action and the least role that may take it. */
export const ACTION_ROLES = {
  "operator.retry": "operator",
  "operator.retry-all": "operator",
  "operator.retry-resource": "operator",
  "operator.provision": "operator",
  "operator.reconcile.dry-run": "operator",
  "operator.reconcile.apply": "operator",
  "operator.import.dry-run": "operator",
  "operator.import.apply": "operator",
  "operator.release": "admin",
  "operator.acknowledge": "admin",
} as const satisfies Record<string, Role>;
export type OperatorAction = keyof typeof ACTION_ROLES;

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Whether the actor's role allows the action (the console hides the buttons that answer no). */
export function mayAct(role: Role, action: OperatorAction): boolean {
  return roleAtLeast(role, ACTION_ROLES[action]);
}
