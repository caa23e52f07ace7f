// What PostgreSQL can store, as pure functions: dates it accepts (JavaScript accepts more) and text it can hold.
import { describe, expect, it } from "vitest";
import { toTimestamp, unstorableText } from "../../src/store/limits.ts";

describe("toTimestamp", () => {
  it.each([
    ["2024-05-13T04:42:34Z", "2024-05-13T04:42:34.000Z"],
    ["2024-05-13", "2024-05-13T00:00:00.000Z"],
    ["2024-05-13 04:42", "2024-05-13T04:42:00.000Z"],
    ["2024-05-13T04:42:34.123456789+02:00", "2024-05-13T02:42:34.123Z"],
    ["2024-05-13T04:42:34-0530", "2024-05-13T10:12:34.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59.000Z"],
  ])("%s is %s", (text, iso) => {
    expect(toTimestamp(text)).toBe(iso);
  });

  it.each([
    "2024-02-30", // JavaScript rolls it over to March
    "2023-02-29",
    "0000-01-01", // there is no year 0
    "2024-13-01",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:60:00Z",
    "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00+23:59", // offsets end at ±14:00
    "0001-01-01T00:00:00+01:00", // before year 1 in UTC
    "20240101",
    "yesterday",
    "",
  ])("%s is refused", (text) => {
    expect(toTimestamp(text)).toBeUndefined();
  });
});

describe("unstorableText", () => {
  it.each([
    ["plain", undefined],
    ["emoji 😀 (a surrogate pair)", undefined],
    ["tab\tand newline\n", undefined],
    ["nul \u0000", /NUL/],
    ["lone high \ud800", /lone surrogate/],
    ["lone low \udfff", /lone surrogate/],
    ["reversed pair \ude00\ud83d", /lone surrogate/],
  ])("%j", (text, expected) => {
    const why = unstorableText(text);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });
});
