import { PREFERENCE_LIMITS as LIMITS } from '../../worker/preferences/limits';
import type { Preferences } from '../lib/api';

/** The form's view of the preferences: inputs hold strings, so empty means "no default" (null). */
export type Draft = Omit<Preferences, 'default_genre' | 'default_bpm'> & { default_genre: string; default_bpm: string };

/** What the form shows while the saved preferences load: nothing filled in, nothing checked. */
export const BLANK_DRAFT: Draft = {
  theme: 'system',
  locale: '',
  timezone: '',
  default_genre: '',
  default_bpm: '',
  explicit_content: false,
  notifications: { email: false, generation_complete: false, product_updates: false },
};

export function toDraft(p: Preferences): Draft {
  return {
    ...p,
    notifications: { ...p.notifications },
    default_genre: p.default_genre ?? '',
    default_bpm: p.default_bpm === null ? '' : String(p.default_bpm),
  };
}

export function fromDraft(d: Draft): Preferences {
  const genre = d.default_genre.trim();
  const bpm = d.default_bpm.trim();
  return {
    ...d,
    locale: d.locale.trim(),
    timezone: d.timezone.trim(),
    default_genre: genre === '' ? null : genre,
    default_bpm: bpm === '' ? null : Number(bpm),
  };
}

/**
 * What to do about each field, in words: the API's messages are written for developers ("Too big:
 * expected string to have <=35 characters"), and whatever the validator said, the fix is the same.
 */
export const FIELD_HELP: Record<string, string> = {
  locale: `Use a language tag such as en-US (at most ${LIMITS.locale.maxLength} characters).`,
  timezone: `Use a time zone name such as Europe/Berlin (at most ${LIMITS.timezone.maxLength} characters).`,
  default_genre: `Use at most ${LIMITS.default_genre.maxLength} characters, or leave it empty.`,
  default_bpm: `Use a whole number from ${LIMITS.default_bpm.min} to ${LIMITS.default_bpm.max}, or leave it empty.`,
  theme: 'Choose one of the listed themes.',
};

/** Field messages from a 422's details (`[{ path: 'preferences.default_bpm', message }]`), keyed by field. */
export function fieldErrors(details: unknown): Record<string, string> {
  if (!Array.isArray(details)) return {};
  const out: Record<string, string> = {};
  for (const issue of details) {
    if (typeof issue?.path !== 'string' || typeof issue?.message !== 'string') continue;
    const field = issue.path.replace(/^preferences\./, '');
    out[field] ??= FIELD_HELP[field] ?? issue.message;
  }
  return out;
}
