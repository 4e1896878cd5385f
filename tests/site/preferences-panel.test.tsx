import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import PreferencesPanel from '../../site/components/PreferencesPanel';
import { FIELD_HELP } from '../../site/components/preferences-draft';
import Toaster from '../../site/components/Toaster';
import { toastStore } from '../../site/lib/toasts';
import { PREFERENCE_LIMITS } from '../../worker/preferences/limits';
import { StoredPreferencesSchema } from '../../worker/preferences/schema';
import { signedInConfig } from './support/config';
import { defaultPreferences, type FakeApi, startFakeApi } from './support/fake-api';

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));

describe('preferences island', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await startFakeApi();
  });
  afterEach(() => api.close());

  function renderPanel() {
    render(
      <>
        <PreferencesPanel config={signedInConfig(api)} />
        <Toaster />
      </>,
    );
    return screen.findByRole('button', { name: 'Save preferences' });
  }

  it('holds a blank, inert form while loading, then fills it in, with nothing to save yet', async () => {
    api.state.preferences = { ...defaultPreferences(), default_genre: 'synthwave', default_bpm: 100 };
    const loaded = renderPanel();
    // The form keeps its size while loading, but cannot be used or reached; the status is announced.
    expect(screen.getByRole('status').textContent).toMatch(/Loading your preferences/);
    const form = document.querySelector('form')!;
    expect(form.hasAttribute('inert')).toBe(true);
    expect(form.getAttribute('aria-hidden')).toBe('true');
    expect(field('Default genre').value).toBe('');

    const saveButton = await loaded;
    expect(form.hasAttribute('inert')).toBe(false);
    expect(screen.queryByRole('status')).toBeNull();
    expect(field('Default genre').value).toBe('synthwave');
    expect(field('Default tempo (BPM)').value).toBe('100');
    expect(field('Time zone').value).toBe('UTC');
    expect(field('Tell me when a generation finishes').checked).toBe(true);
    expect(saveButton).toHaveProperty('disabled', true);
  });

  it('saves an edit with If-Match and shows the new version', async () => {
    await renderPanel();
    fireEvent.change(field('Default tempo (BPM)'), { target: { value: '128' } });
    fireEvent.change(field('Theme'), { target: { value: 'dark' } });
    fireEvent.click(field('Product updates'));
    save();
    await screen.findByText('Preferences saved');

    const put = api.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['if-match']).toBe('"1"');
    expect(put.body).toEqual({
      preferences: {
        ...defaultPreferences(),
        theme: 'dark',
        default_bpm: 128,
        notifications: { email: true, generation_complete: true, product_updates: true },
      },
    });
    expect(api.state.version).toBe(2);
    expect(screen.getByText(/^Version 2, saved/)).toBeTruthy();
    // Applied by an effect after the saved version renders: on a busy machine, a moment later.
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
    expect(screen.getByRole('button', { name: 'Save preferences' })).toHaveProperty('disabled', true);
  });

  it('clears the tempo and genre to null when the fields are emptied', async () => {
    api.state.preferences = { ...defaultPreferences(), default_genre: 'lofi', default_bpm: 80 };
    await renderPanel();
    fireEvent.change(field('Default genre'), { target: { value: '  ' } });
    fireEvent.change(field('Default tempo (BPM)'), { target: { value: '' } });
    save();
    await screen.findByText('Preferences saved');
    expect(api.state.preferences).toMatchObject({ default_genre: null, default_bpm: null });
  });

  it('explains a stale write (412) and loads the latest version on request', async () => {
    await renderPanel();
    // Another tab saves first.
    api.state.preferences = { ...defaultPreferences(), default_genre: 'jazz' };
    api.state.version = 5;
    fireEvent.change(field('Default genre'), { target: { value: 'techno' } });
    save();

    const conflict = await screen.findByTestId('conflict');
    expect(conflict.textContent).toMatch(/changed since you opened them/);
    expect(conflict.getAttribute('role')).toBe('alert');
    expect(api.state.preferences.default_genre).toBe('jazz');

    fireEvent.click(within(conflict).getByRole('button', { name: 'Load latest version' }));
    await screen.findByText(/^Version 5/);
    expect(field('Default genre').value).toBe('jazz');
    expect(screen.queryByTestId('conflict')).toBeNull();
  });

  it('marks the fields the API rejected (422) in words, with the request id', async () => {
    await renderPanel();
    api.replyOnce(
      '/v1/preferences',
      api.error(422, 'validation_failed', 'The request is not valid', [
        { path: 'preferences.locale', message: 'Too big: expected string to have <=35 characters', code: 'too_big' },
      ]),
    );
    fireEvent.change(field('Language and region'), { target: { value: 'en-US-x-private' } });
    save();

    const message = await screen.findByText(FIELD_HELP.locale!);
    expect(message.textContent).toBe('Use a language tag such as en-US (at most 35 characters).');
    expect(screen.queryByText(/Too big/)).toBeNull();
    expect(field('Language and region').getAttribute('aria-invalid')).toBe('true');
    expect(field('Language and region').getAttribute('aria-describedby')).toContain(message.id);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/Not saved: check the fields marked below/);
    expect(within(alert).getByText(/^req-\d+$/)).toBeTruthy();
  });

  it("puts the API schema's limits on the inputs, so nothing is cut without a sign", async () => {
    await renderPanel();
    expect(field('Language and region').maxLength).toBe(PREFERENCE_LIMITS.locale.maxLength);
    expect(field('Time zone').maxLength).toBe(PREFERENCE_LIMITS.timezone.maxLength);
    expect(field('Default genre').maxLength).toBe(PREFERENCE_LIMITS.default_genre.maxLength);
    expect(field('Default tempo (BPM)').min).toBe(String(PREFERENCE_LIMITS.default_bpm.min));
    expect(field('Default tempo (BPM)').max).toBe(String(PREFERENCE_LIMITS.default_bpm.max));
    // The same numbers are what the API accepts and refuses.
    const genre = (n: number) => StoredPreferencesSchema.safeParse({ default_genre: 'g'.repeat(n) }).success;
    expect([genre(64), genre(65)]).toEqual([true, false]);
    const locale = (n: number) => StoredPreferencesSchema.safeParse({ locale: `en-${'a'.repeat(n - 3)}` }).success;
    expect(locale(36)).toBe(false);
    fireEvent.change(field('Default genre'), { target: { value: 'synthwave' } });
    expect(screen.getByText('Up to 64 characters (9 used)')).toBeTruthy();
  });

  it('says "Not saved" in the panel when the API cannot be reached, keeps the edit, and raises no toast', async () => {
    await renderPanel();
    fireEvent.change(field('Default genre'), { target: { value: 'dub techno' } });
    await api.close();
    save();

    const notSaved = await screen.findByTestId('not-saved');
    expect(notSaved.getAttribute('role')).toBe('alert');
    expect(notSaved.textContent).toMatch(/^Not saved: .+ Your changes are still here/);
    expect(field('Default genre').value).toBe('dub techno');
    expect(screen.queryByRole('listitem')).toBeNull();
    expect(toastStore.snapshot()).toEqual([]);
  });

  it('confirms a save in the panel, not in a toast, and the confirmation goes with the next edit', async () => {
    await renderPanel();
    fireEvent.change(field('Default genre'), { target: { value: 'house' } });
    save();
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('Preferences saved');
    expect(toastStore.snapshot()).toEqual([]);
    fireEvent.change(field('Default genre'), { target: { value: 'deep house' } });
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('says when the user has never saved, and shows an error state when loading fails', async () => {
    api.replyOnce('/v1/preferences', api.error(500, 'internal_error', 'An unexpected error occurred'));
    render(<PreferencesPanel config={signedInConfig(api)} />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Could not load your preferences\. An unexpected error occurred/);

    api.replyOnce('/v1/preferences', {
      status: 200,
      body: { preferences: defaultPreferences(), version: 0, updated_at: null },
    });
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Defaults: you have not saved yet.')).toBeTruthy();
  });
});
