// The Prefer request header (RFC 7240): a client that wants the write's delivery outcome in the answer sends
// `Prefer: wait=N` (seconds); without it the SCIM answer never waits for a target.

/** Preferences by lower-cased name (first occurrence wins, as RFC 7240 §2 says), with their value if any. */
export function parsePrefer(headers: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const list = Array.isArray(headers) ? headers : headers ? [headers] : [];
  for (const header of list) {
    for (const item of header.split(",")) {
      // Parameters after ";" do not concern the preferences we honour.
      // Trimmed first: white space on both sides of the pattern made it backtrack quadratically (0.4 s for 15 KB).
      const pref = (item.split(";")[0] ?? "").trim();
      const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("[^"]*"|[^\s;]*))?$/.exec(pref);
      if (!m) continue;
      const name = m[1]!.toLowerCase();
      if (!out.has(name)) out.set(name, (m[2] ?? "").replace(/^"(.*)"$/, "$1"));
    }
  }
  return out;
}

/**
 * How long (ms) a write may wait for its first delivery attempt: `wait=N` bounded by `maxMs` (whole seconds), or
 * undefined when the client did not ask (or asked nonsense, which a server ignores per RFC 7240 §2).
 */
export function preferredWait(
  headers: string | string[] | undefined,
  maxMs: number,
): { ms: number; applied: string } | undefined {
  const raw = parsePrefer(headers).get("wait");
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return undefined;
  const seconds = Math.min(Number(raw), Math.floor(maxMs / 1000));
  return { ms: seconds * 1000, applied: `wait=${seconds}` };
}
