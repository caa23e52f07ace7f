// Salesforce User picklist values (API names) that orgs commonly accept. Orgs can differ slightly,
// so these lists err on the side of the widely available values; extend them here, in one place.

export const SALESFORCE_EMAIL_ENCODINGS = [
  "UTF-8",
  "ISO-8859-1",
  "Shift_JIS",
  "ISO-2022-JP",
  "EUC-JP",
  "ks_c_5601-1987",
  "Big5",
  "GB2312",
  "Big5-HKSCS",
  "x-SJIS_0213",
] as const;

/** Fully supported, end-user and platform languages in their LanguageLocaleKey form. */
export const SALESFORCE_LANGUAGES = [
  "en_US",
  "en_GB",
  "en_AU",
  "en_CA",
  "en_IN",
  "de",
  "es",
  "es_MX",
  "fr",
  "fr_CA",
  "it",
  "ja",
  "ko",
  "pt_BR",
  "pt_PT",
  "nl_NL",
  "da",
  "fi",
  "no",
  "sv",
  "ru",
  "th",
  "zh_CN",
  "zh_TW",
  "ar",
  "bg",
  "cs",
  "el",
  "hr",
  "hu",
  "in",
  "iw",
  "pl",
  "ro",
  "sk",
  "sl",
  "tr",
  "uk",
  "vi",
  "et",
  "lt",
  "lv",
  "is",
  "ca",
  "eu",
  "ms",
  "hi",
] as const;

export const SALESFORCE_LOCALES = [
  "en_US",
  "en_GB",
  "en_AU",
  "en_CA",
  "en_IE",
  "en_IN",
  "en_NZ",
  "en_PH",
  "en_SG",
  "en_HK",
  "en_MY",
  "en_ZA",
  "de_DE",
  "de_AT",
  "de_CH",
  "de_LU",
  "fr_FR",
  "fr_BE",
  "fr_CA",
  "fr_CH",
  "fr_LU",
  "it_IT",
  "it_CH",
  "es_ES",
  "es_MX",
  "es_AR",
  "es_CL",
  "es_CO",
  "es_PE",
  "es_US",
  "pt_BR",
  "pt_PT",
  "nl_NL",
  "nl_BE",
  "da_DK",
  "sv_SE",
  "fi_FI",
  "no_NO",
  "is_IS",
  "pl_PL",
  "cs_CZ",
  "sk_SK",
  "hu_HU",
  "ro_RO",
  "bg_BG",
  "hr_HR",
  "sl_SI",
  "el_GR",
  "tr_TR",
  "ru_RU",
  "uk_UA",
  "et_EE",
  "lv_LV",
  "lt_LT",
  "iw_IL",
  "he_IL",
  "ar_AE",
  "ar_SA",
  "ar_EG",
  "ja_JP",
  "ko_KR",
  "zh_CN",
  "zh_TW",
  "zh_HK",
  "zh_SG",
  "th_TH",
  "vi_VN",
  "in_ID",
  "id_ID",
  "ms_MY",
  "hi_IN",
  "ca_ES",
  "eu_ES",
] as const;

let zones: Set<string> | undefined;

/**
 * Salesforce TimeZoneSidKey values are IANA zone ids plus "GMT". Node's list holds CLDR canonical ids
 * ("Asia/Calcutta") while Salesforce uses current ones ("Asia/Kolkata"), so any Area/City id that the
 * runtime's time-zone database knows is accepted too.
 */
export function isSalesforceTimeZone(value: string): boolean {
  zones ??= new Set(Intl.supportedValuesOf("timeZone"));
  if (value === "GMT" || zones.has(value)) return true;
  // Only the geographic areas: legacy aliases such as "US/Pacific" are not Salesforce values.
  if (
    !/^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)(\/[A-Za-z0-9_+-]+)+$/.test(
      value,
    )
  ) {
    return false;
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The listed value an admin most likely meant ("en-US" → "en_US", "utf8" → "UTF-8"), if any. */
export function closestPicklistValue(value: string, allowed: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");
  const wanted = squash(value);
  return allowed.find((a) => squash(a) === wanted);
}
