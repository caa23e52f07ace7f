// The configured SCIM credentials, compiled once: secrets as SHA-256 digests compared in constant time, allow-lists as
// node:net BlockLists. Who a request is comes from here; what it may do from `permits` (permissions.ts).
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIPv4 } from "node:net";
import type { ScimCredentialConfig, ScimResourceTypeName } from "../../config/scim-auth.ts";

export type CredentialKind = ScimCredentialConfig["kind"];

/** A credential as the SCIM door knows it once a request has proved to hold it. */
export interface ScimCredential {
  name: string;
  kind: CredentialKind;
  permissions: "read" | "write";
  /** undefined: both Users and Groups. */
  resourceTypes?: readonly ScimResourceTypeName[];
  /** undefined: any address. */
  allow?: BlockList;
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Compares against every candidate so that timing says nothing about which (or whether one) matched. */
export function matchDigest<T>(candidates: { digest: Buffer; value: T }[], presented: Buffer): T | undefined {
  let found: T | undefined;
  for (const c of candidates)
    if (timingSafeEqual(c.digest, presented) && found === undefined) found = c.value;
  return found;
}

function allowList(cidrs: string[] | undefined): BlockList | undefined {
  if (!cidrs) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const [address, prefix] = c.split("/") as [string, string | undefined];
    const type = isIPv4(address) ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** Whether `address` (req.ip) may use the credential; an IPv4-mapped IPv6 address counts as its IPv4 address. */
export function addressAllowed(c: ScimCredential, address: string | undefined): boolean {
  if (!c.allow) return true;
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const a = mapped ?? address;
  return c.allow.check(a, isIPv4(a) ? "ipv4" : "ipv6");
}

const digestOf = (plain: string | undefined, hex: string | undefined) =>
  hex ? Buffer.from(hex, "hex") : sha256(plain!);

export interface ClientCredential extends ScimCredential {
  clientId: string;
  accessTokenSeconds: number;
  scopes?: string[];
}

/** Every kind of credential but `jwt`, compiled from the configuration and SCIM_BEARER_TOKEN(S). */
export class CredentialSet {
  readonly all: ScimCredential[] = [];
  private readonly bearer: { digest: Buffer; value: ScimCredential }[] = [];
  private readonly basic: { digest: Buffer; value: ScimCredential }[] = [];
  private readonly clients: { digest: Buffer; value: ClientCredential }[] = [];
  private readonly byName = new Map<string, ScimCredential>();

  constructor(
    configs: readonly ScimCredentialConfig[],
    legacyTokens: readonly { name: string; token: string }[],
  ) {
    for (const t of legacyTokens) {
      const c: ScimCredential = { name: t.name, kind: "bearer", permissions: "write" };
      this.add(c);
      this.bearer.push({ digest: sha256(t.token), value: c });
    }
    for (const cfg of configs) {
      const c: ScimCredential = {
        name: cfg.name,
        kind: cfg.kind,
        permissions: cfg.permissions,
        ...(cfg.resourceTypes ? { resourceTypes: cfg.resourceTypes } : {}),
        ...(cfg.allow ? { allow: allowList(cfg.allow)! } : {}),
      };
      if (cfg.kind === "bearer") {
        this.add(c);
        this.bearer.push({ digest: digestOf(cfg.token, cfg.tokenSha256), value: c });
      } else if (cfg.kind === "basic") {
        this.add(c);
        // The digest of "username:password": one comparison per credential, constant time over both.
        const digest = cfg.passwordSha256
          ? sha256(`${cfg.username}:${cfg.passwordSha256}`)
          : sha256(`${cfg.username}:${sha256(cfg.password!).toString("hex")}`);
        this.basic.push({ digest, value: c });
      } else if (cfg.kind === "clientCredentials") {
        const client: ClientCredential = {
          ...c,
          clientId: cfg.clientId,
          accessTokenSeconds: cfg.accessTokenSeconds,
          ...(cfg.scopes ? { scopes: cfg.scopes } : {}),
        };
        this.add(client);
        const secret = cfg.clientSecretSha256 ?? sha256(cfg.clientSecret!).toString("hex");
        this.clients.push({ digest: sha256(`${cfg.clientId}:${secret}`), value: client });
      } else this.add(c);
    }
  }

  private add(c: ScimCredential) {
    if (this.byName.has(c.name))
      throw new Error(`two SCIM credentials are named ${JSON.stringify(c.name)}; each needs its own name`);
    this.byName.set(c.name, c);
    this.all.push(c);
  }

  /** The static bearer credential whose token this is. */
  bearerToken(token: string): ScimCredential | undefined {
    return matchDigest(this.bearer, sha256(token));
  }

  basicLogin(username: string, password: string): ScimCredential | undefined {
    return matchDigest(this.basic, sha256(`${username}:${sha256(password).toString("hex")}`));
  }

  client(clientId: string, secret: string): ClientCredential | undefined {
    return matchDigest(this.clients, sha256(`${clientId}:${sha256(secret).toString("hex")}`));
  }

  /** Whether a client with this id is configured (to tell an unknown client from a wrong secret in the logs). */
  knowsClient(clientId: string): boolean {
    return this.clients.some((c) => c.value.clientId === clientId);
  }

  named(name: string): ScimCredential | undefined {
    return this.byName.get(name);
  }

  has(kind: CredentialKind): boolean {
    return this.all.some((c) => c.kind === kind);
  }
}
