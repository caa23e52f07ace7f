// The key userNames and group displayNames are unique on and compared by (filters, sorting, correlation). Names
// are stored as sent; two that differ only in case, Unicode normalisation form or character width are one name.

/** Fullwidth and halfwidth forms (and the ideographic space): mapped to their decomposition, as PRECIS does. */
const WIDTH_FORMS = /[\u3000\uFF01-\uFFEE]/gu;

/**
 * The mapping steps of PRECIS UsernameCaseMapped (RFC 8265 §3.4.1): width mapping, case mapping (Unicode
 * toLowerCase) and NFC. Its checks (disallowed code points, the bidi rule) are not applied: a name is never refused
 * here, only compared. `José` with a precomposed é and with e + U+0301 have one key; so have `ALICE` and `ａｌｉｃｅ`.
 */
export function nameKey(name: string): string {
  return name
    .replace(WIDTH_FORMS, (c) => c.normalize("NFKC"))
    .toLowerCase()
    .normalize("NFC");
}
