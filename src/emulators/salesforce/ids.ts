// Salesforce-style record ids: 3-char key prefix + 12 base62 chars + a 3-char case-safe suffix.
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/** The 3-char suffix Salesforce appends so an 18-char id survives case-insensitive systems. */
export function idSuffix(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

/** Accepts a 15- or 18-char id and returns the 18-char form, or undefined if it cannot be an id. */
export function normalizeId(value: string): string | undefined {
  if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value)) return undefined;
  const id15 = value.slice(0, 15);
  return id15 + idSuffix(id15);
}

/** Ids from a counter; `issued()` tells how many were made, so a restored org can carry on after them. */
export function createIdFactory(
  podSeed = "RO",
  start = 0,
): ((prefix: string) => string) & { issued(): number } {
  let counter = start;
  const next = (prefix: string) => {
    counter++;
    let n = counter;
    let body = "";
    for (let i = 0; i < 10; i++) {
      body = BASE62[n % 62] + body;
      n = Math.floor(n / 62);
    }
    const id15 = prefix + podSeed + body;
    return id15 + idSuffix(id15);
  };
  return Object.assign(next, { issued: () => counter });
}
