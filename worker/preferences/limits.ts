/**
 * The preference fields' bounds, in a module with no imports: the API's schema enforces them and the
 * site's form puts them on its inputs (maxlength, min, max), so the two cannot drift apart.
 */
export const PREFERENCE_LIMITS = {
  locale: { maxLength: 35 },
  timezone: { maxLength: 64 },
  default_genre: { maxLength: 64 },
  default_bpm: { min: 20, max: 300 },
} as const;
