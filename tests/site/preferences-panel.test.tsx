import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import PreferencesPanel from '../../site/components/PreferencesPanel';
import Toaster from '../../site/components/Toaster';
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
    expect(document.documentElement.dataset.theme).toBe('dark');
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

  it("marks the fields the API rejected (422), with the API's message and request id", async () => {
    await renderPanel();
    api.replyOnce(
      '/v1/preferences',
      api.error(422, 'validation_failed', 'The request is not valid', [
        { path: 'preferences.timezone', message: 'Unknown time zone', code: 'custom' },
      ]),
    );
    fireEvent.change(field('Time zone'), { target: { value: 'Mars/Olympus' } });
    save();

    const message = await screen.findByText('Unknown time zone');
    expect(field('Time zone').getAttribute('aria-invalid')).toBe('true');
    expect(field('Time zone').getAttribute('aria-describedby')).toContain(message.id);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/Not saved: The request is not valid/);
    expect(within(alert).getByText(/^req-\d+$/)).toBeTruthy();
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
