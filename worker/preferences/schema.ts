import { z } from '@hono/zod-openapi';
import { text } from '../schemas/common';
import { PREFERENCE_LIMITS as LIMITS } from './limits';

function isTimeZone(tz: string) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const fields = {
  theme: z.enum(['system', 'light', 'dark']),
  locale: z
    .string()
    .max(LIMITS.locale.maxLength)
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$/, 'must be a BCP 47 language tag such as en-US'),
  timezone: z
    .string()
    .max(LIMITS.timezone.maxLength)
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  default_genre: text(LIMITS.default_genre.maxLength).trim().min(1).nullable(),
  default_bpm: z.int().min(LIMITS.default_bpm.min).max(LIMITS.default_bpm.max).nullable(),
  explicit_content: z.boolean(),
};

const notifications = {
  email: z.boolean(),
  generation_complete: z.boolean(),
  product_updates: z.boolean(),
};

/** The full document as the API returns it: every key present, defaults filled in. */
export const PreferencesSchema = z
  .strictObject({ ...fields, notifications: z.strictObject(notifications) })
  .openapi('Preferences');
export type Preferences = z.infer<typeof PreferencesSchema>;

/** What is stored and what PUT takes: any subset; missing keys read as defaults. Unknown keys are refused. */
export const StoredPreferencesSchema = z
  .strictObject({ ...fields, notifications: z.strictObject(notifications).partial() })
  .partial()
  .openapi('PreferencesInput');
export type StoredPreferences = z.infer<typeof StoredPreferencesSchema>;

/** An RFC 7396 merge patch: null removes a key (back to its default). */
export const PreferencesPatchSchema = z
  .strictObject({
    theme: fields.theme.nullish(),
    locale: fields.locale.nullish(),
    timezone: fields.timezone.nullish(),
    default_genre: fields.default_genre.nullish(),
    default_bpm: fields.default_bpm.nullish(),
    explicit_content: fields.explicit_content.nullish(),
    notifications: z
      .strictObject({
        email: notifications.email.nullish(),
        generation_complete: notifications.generation_complete.nullish(),
        product_updates: notifications.product_updates.nullish(),
      })
      .nullish(),
  })
  .openapi('PreferencesMergePatch');
export type PreferencesPatch = z.infer<typeof PreferencesPatchSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  locale: 'en-US',
  timezone: 'UTC',
  default_genre: null,
  default_bpm: null,
  explicit_content: false,
  notifications: { email: true, generation_complete: true, product_updates: false },
};

export function withDefaults(stored: StoredPreferences): Preferences {
  return {
    ...DEFAULT_PREFERENCES,
    ...stored,
    notifications: { ...DEFAULT_PREFERENCES.notifications, ...stored.notifications },
  };
}
