// What the database can hold, written once so every layer can refuse the rest at the edge with a 400 instead of
// letting PostgreSQL fail with a 500: text without NUL or lone surrogates, indexed text short enough for a btree
// entry, integers within bigint and dates within PostgreSQL's calendar.

export const STORE_LIMITS = {
  /**
   * UTF-16 code units of an indexed text column (userName, displayName, externalId): at most 3 bytes of UTF-8
   * each, so even lower() of the longest value stays far below the 2,704-byte btree entry limit.
   */
  indexedTextLength: 512,
  /**
   * UTF-16 code units of a unique name's key (nameKey: lower-casing and NFC may lengthen a name, up to threefold
   * for rare characters), so that the key's index entry (at most 3 bytes a unit) stays below that limit too.
   */
  nameKeyLength: 800,
  /** Largest integer accepted for offsets and ids (2^53 - 1: exact in JavaScript and within bigint). */
  maxInteger: Number.MAX_SAFE_INTEGER,
} as const;

const LONE_SURROGATE = /\p{Cs}/u;

/** Why PostgreSQL could not store `text`, or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes("\0")) return "contains a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(text)) return "contains a lone surrogate (an unpaired \\ud800–\\udfff)";
  return undefined;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2})?)?)?$/i;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * An xsd:dateTime (or a bare date) as an ISO instant PostgreSQL accepts, or undefined when it is not a real date:
 * JavaScript rolls "2024-02-30" over to March and accepts year 0 and offsets of +23:59, PostgreSQL does not.
 */
export function toTimestamp(text: string): string | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(
    (v) => (v === undefined ? undefined : Number(v)),
  ) as number[];
  if (year! < 1 || month! < 1 || month! > 12 || day! < 1 || day! > daysIn(year!, month!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9]) {
    const h = Number(m[10]);
    const min = Number(m[11] ?? 0);
    // Real offsets run from -12:00 to +14:00.
    if (h > 14 || min > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (h * 60 + min);
  }
  const fraction = m[7] ? Number(m[7].slice(0, 4)) * 1000 : 0;
  const utc = new Date(0);
  utc.setUTCFullYear(year!, month! - 1, day!);
  utc.setUTCHours(hour, minute - offsetMinutes, second, fraction);
  const iso = utc.toISOString();
  // Out of PostgreSQL's and ISO's four-digit range after the offset is applied (e.g. 0001-01-01T00:00+01:00).
  return /^\d{4}-/.test(iso) && utc.getUTCFullYear() >= 1 ? iso : undefined;
}
