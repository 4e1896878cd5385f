import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import AccountPanel from '../../site/components/AccountPanel';
import Toaster from '../../site/components/Toaster';
import { trialSummary } from '../../site/components/trial';
import { signedInConfig } from './support/config';
import { type FakeApi, sampleMe, startFakeApi } from './support/fake-api';

describe('account island', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await startFakeApi();
  });
  afterEach(() => api.close());

  it('holds the rows while loading, then shows the signed-in user, their tenant and the trial', async () => {
    render(<AccountPanel config={signedInConfig(api)} />);
    expect(screen.getByRole('status').textContent).toMatch(/Loading your account/);
    // The labels and value-sized placeholders keep the card's size; only the status is announced.
    const account = screen.getByTestId('account');
    expect(account.getAttribute('aria-hidden')).toBe('true');
    expect(account.querySelectorAll('dd .skeleton')).toHaveLength(6);

    expect(await within(account).findByText('Ada Lovelace')).toBeTruthy();
    expect(account.getAttribute('aria-hidden')).toBeNull();
    expect(account.querySelectorAll('dd')).toHaveLength(6);
    expect(screen.queryByRole('status')).toBeNull();
    expect(within(account).getByText('ada@example.test')).toBeTruthy();
    expect(screen.getByTestId('tenant-name').textContent).toBe('Analytical Engines');
    expect(screen.getByTestId('trial').textContent).toBe('Trial: 9 days left');
  });

  it('shows an error state with the request id, a toast, and recovers on retry', async () => {
    api.replyOnce('/v1/me', api.error(503, 'database_unavailable', 'The database is unavailable; retry shortly'));
    render(
      <>
        <AccountPanel config={signedInConfig(api)} />
        <Toaster />
      </>,
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Could not load your account\. The database is unavailable/);
    const requestId = within(alert).getByText(/^req-\d+$/).textContent;
    const toasts = screen.getByRole('region', { name: 'Notifications' });
    expect(within(toasts).getByText(requestId!)).toBeTruthy();

    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('tenant-name')).toHaveProperty('textContent', 'Analytical Engines');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('trial summary', () => {
  const tenant = sampleMe().tenant;
  it.each([
    [{ active: true, days_left: 1 }, '2026-12-01T00:00:00Z', 'Trial: 1 day left'],
    [{ active: false, days_left: 0 }, '2026-03-05T12:00:00Z', 'Trial ended on Mar 5, 2026'],
    [{ active: false, days_left: 0 }, null, 'No trial'],
  ])('%o ending %s reads "%s"', (trial, endsAt, expected) => {
    expect(trialSummary({ ...tenant, trial, trial_ends_at: endsAt }, 'en-US')).toBe(expected);
  });
});
