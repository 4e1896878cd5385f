import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { PREFERENCE_LIMITS as LIMITS } from '../../worker/preferences/limits';
import type { ApiError, Preferences, PreferencesResource } from '../lib/api';
import { apiFor } from '../lib/session';
import type { SiteConfig } from '../lib/site-config';
import { BLANK_DRAFT, type Draft, fieldErrors, fromDraft, toDraft } from './preferences-draft';
import { ErrorState, Loading, RequestId, Skeleton } from './StatusMessage';
import { asApiError, reportError, useResource } from './use-resource';

const NOTIFICATIONS = [
  ['email', 'Email me about my account'],
  ['generation_complete', 'Tell me when a generation finishes'],
  ['product_updates', 'Product updates'],
] as const;

const SAVED_AT: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/** The page follows the saved theme; "system" hands it back to the OS setting. */
function applyTheme(theme: Preferences['theme']) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function Field(props: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  const { id, label, error, hint, children } = props;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** Ties an input to its hint and error text, so screen readers announce them with the field. */
const described = (id: string, error: string | undefined, hasHint = false) => ({
  id,
  'aria-invalid': error ? true : undefined,
  'aria-describedby': [error && `${id}-error`, hasHint && `${id}-hint`].filter(Boolean).join(' ') || undefined,
});

/**
 * How the last save ended, shown in the panel beside the form it is about (a toast would cover the
 * fields on a phone, and would outlive the answer it gives).
 */
type SaveOutcome =
  | { kind: 'saved' }
  | { kind: 'conflict' }
  | { kind: 'invalid'; error: ApiError; fields: Record<string, string> }
  | { kind: 'failed'; error: ApiError };

/** Load, edit and save the user's preferences; a save only lands on the version it was based on. */
export default function PreferencesPanel({ config }: { config: SiteConfig }) {
  const api = apiFor(config);
  const { state, setState, reload } = useResource(api.preferences);
  // Edits belong to the version they started from: a newly loaded version starts a fresh draft.
  const [edit, setEdit] = useState<{ base: PreferencesResource; draft: Draft } | null>(null);
  const [saving, setSaving] = useState(false);
  const [outcome, setOutcome] = useState<SaveOutcome | null>(null);

  const loaded = state.status === 'ready' ? state.data : null;
  const draft = loaded ? (edit?.base === loaded ? edit.draft : toDraft(loaded.preferences)) : null;
  useEffect(() => {
    if (loaded) applyTheme(loaded.preferences.theme);
  }, [loaded]);

  function update<K extends keyof Draft>(key: K, value: Draft[K]) {
    if (loaded && draft) setEdit({ base: loaded, draft: { ...draft, [key]: value } });
    if (outcome?.kind === 'saved') setOutcome(null);
  }

  function loadLatest() {
    setOutcome(null);
    void reload();
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!draft || !loaded) return;
    setSaving(true);
    setOutcome(null);
    try {
      const saved: PreferencesResource = await api.savePreferences(fromDraft(draft), loaded.version);
      setState({ status: 'ready', data: saved });
      setOutcome({ kind: 'saved' });
    } catch (cause) {
      const error = asApiError(cause);
      if (error.status === 412) setOutcome({ kind: 'conflict' });
      else if (error.status === 422) setOutcome({ kind: 'invalid', error, fields: fieldErrors(error.details) });
      else if (error.status === 401) reportError(error);
      else setOutcome({ kind: 'failed', error });
    } finally {
      setSaving(false);
    }
  }

  const errors = outcome?.kind === 'invalid' ? outcome.fields : {};
  const dirty = !!draft && !!loaded && JSON.stringify(fromDraft(draft)) !== JSON.stringify(loaded.preferences);
  // While loading, the form stands blank, inert and hidden from assistive tech, holding the loaded form's space.
  const shown = draft ?? BLANK_DRAFT;

  return (
    <section className="card card-wide" aria-labelledby="preferences-heading">
      <h2 id="preferences-heading">Preferences</h2>
      {state.status === 'loading' ? <Loading label="Loading your preferences…" /> : null}
      {state.status === 'error' ? (
        <ErrorState title="Could not load your preferences." error={state.error} onRetry={reload} />
      ) : (
        <form
          onSubmit={save}
          aria-describedby="preferences-version"
          inert={!loaded}
          aria-hidden={loaded ? undefined : true}
        >
          <p id="preferences-version" className="muted">
            {/* Worded to fit one line on a phone, as its placeholder does. */}
            {!loaded ? (
              <Skeleton width="17em" />
            ) : loaded.updated_at === null ? (
              'Defaults: you have not saved yet.'
            ) : (
              `Version ${loaded.version}, saved ${new Date(loaded.updated_at).toLocaleString(undefined, SAVED_AT)}`
            )}
          </p>
          {outcome?.kind === 'conflict' ? (
            <div className="notice notice-error" role="alert" data-testid="conflict">
              <p>
                <strong>These preferences changed since you opened them</strong> (in another tab or device). Your edit
                was not saved. Load the latest version, then make your change again.
              </p>
              <button type="button" onClick={loadLatest}>
                Load latest version
              </button>
            </div>
          ) : null}
          {outcome?.kind === 'invalid' || outcome?.kind === 'failed' ? (
            <div className="notice notice-error" role="alert" data-testid="not-saved">
              <p>
                <strong>Not saved:</strong>{' '}
                {outcome.kind === 'invalid'
                  ? 'check the fields marked below.'
                  : `${outcome.error.message}. Your changes are still here: try again in a moment.`}
              </p>
              {outcome.error.requestId ? <RequestId id={outcome.error.requestId} /> : null}
            </div>
          ) : null}
          <div className="fields">
            <Field id="pref-theme" label="Theme" error={errors.theme}>
              <select
                {...described('pref-theme', errors.theme)}
                value={shown.theme}
                onChange={(e) => update('theme', e.target.value as Draft['theme'])}
              >
                <option value="system">Same as my system</option>
                <option value="light">Light</option>
                <option value="dark">Dark</option>
              </select>
            </Field>
            <Field id="pref-locale" label="Language and region" error={errors.locale} hint="A BCP 47 tag, e.g. en-US">
              <input
                {...described('pref-locale', errors.locale, true)}
                value={shown.locale}
                maxLength={LIMITS.locale.maxLength}
                required
                onChange={(e) => update('locale', e.target.value)}
              />
            </Field>
            <Field id="pref-timezone" label="Time zone" error={errors.timezone} hint="e.g. Europe/Berlin">
              <input
                {...described('pref-timezone', errors.timezone, true)}
                value={shown.timezone}
                maxLength={LIMITS.timezone.maxLength}
                required
                onChange={(e) => update('timezone', e.target.value)}
              />
            </Field>
            <Field
              id="pref-genre"
              label="Default genre"
              error={errors.default_genre}
              hint={`Up to ${LIMITS.default_genre.maxLength} characters (${shown.default_genre.length} used)`}
            >
              <input
                {...described('pref-genre', errors.default_genre, true)}
                value={shown.default_genre}
                maxLength={LIMITS.default_genre.maxLength}
                onChange={(e) => update('default_genre', e.target.value)}
              />
            </Field>
            <Field
              id="pref-bpm"
              label="Default tempo (BPM)"
              error={errors.default_bpm}
              hint={`${LIMITS.default_bpm.min} to ${LIMITS.default_bpm.max}, or empty`}
            >
              <input
                {...described('pref-bpm', errors.default_bpm, true)}
                type="number"
                inputMode="numeric"
                min={LIMITS.default_bpm.min}
                max={LIMITS.default_bpm.max}
                step={1}
                value={shown.default_bpm}
                onChange={(e) => update('default_bpm', e.target.value)}
              />
            </Field>
          </div>
          <div className="field-check">
            <input
              type="checkbox"
              id="pref-explicit"
              checked={shown.explicit_content}
              onChange={(e) => update('explicit_content', e.target.checked)}
            />
            <label htmlFor="pref-explicit">Allow explicit lyrics</label>
          </div>
          <fieldset>
            <legend>Notifications</legend>
            {NOTIFICATIONS.map(([key, label]) => (
              <div className="field-check" key={key}>
                <input
                  type="checkbox"
                  id={`pref-notify-${key}`}
                  checked={shown.notifications[key]}
                  onChange={(e) => update('notifications', { ...shown.notifications, [key]: e.target.checked })}
                />
                <label htmlFor={`pref-notify-${key}`}>{label}</label>
              </div>
            ))}
          </fieldset>
          <div className="actions">
            {outcome?.kind === 'saved' ? (
              <p role="status" className="saved">
                Preferences saved
              </p>
            ) : null}
            <button type="submit" disabled={saving || !dirty}>
              {saving ? 'Saving…' : 'Save preferences'}
            </button>
            <button type="button" className="secondary" disabled={saving || !dirty} onClick={() => setEdit(null)}>
              Discard changes
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
