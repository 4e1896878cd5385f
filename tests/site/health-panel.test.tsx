import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import HealthPanel from '../../site/components/HealthPanel';
import { signedInConfig } from './support/config';
import { type FakeApi, startFakeApi } from './support/fake-api';

describe('API health island', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await startFakeApi();
  });
  afterEach(() => api.close());

  it('holds a row per dependency while checking, then shows each one when the API is ready', async () => {
    const { container } = render(<HealthPanel config={signedInConfig(api)} />);
    expect(screen.getByRole('status').textContent).toMatch(/Checking the API/);
    // Placeholders for the two checks /readyz reports keep the card's size, hidden from assistive tech.
    expect(container.querySelectorAll('[aria-hidden="true"] tbody tr')).toHaveLength(2);
    expect(screen.queryByRole('table')).toBeNull();

    expect((await screen.findByTestId('readiness')).textContent).toBe('Ready');
    expect(container.querySelector('.skeleton')).toBeNull();
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows.map((r) => r.textContent)).toEqual(['DependencyStatusDetail', 'databaseUp3 ms', 'redisUp1 ms']);
    expect(screen.getByText('Vector search: unavailable')).toBeTruthy();
  });

  it('shows which dependency is down when readiness answers 503', async () => {
    api.state.readiness = {
      status: 'unavailable',
      checks: { database: { status: 'down', reason: 'unavailable' }, redis: { status: 'disabled' } },
      features: { vector: 'unavailable' },
    };
    render(<HealthPanel config={signedInConfig(api)} />);
    expect((await screen.findByTestId('readiness')).textContent).toBe('Unavailable');
    expect(screen.getByRole('row', { name: /database/ }).textContent).toBe('databaseDownunavailable');
    expect(screen.getByRole('row', { name: /redis/ }).textContent).toBe('redisOffNot configured');
  });

  it('does not call an API that answered with an error unreachable', async () => {
    api.replyOnce('/readyz', { status: 502, body: '<h1>Bad gateway</h1>', headers: { 'X-Request-ID': 'edge-3' } });
    render(<HealthPanel config={signedInConfig(api)} />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^The API could not report its health\. The API answered 502/);
    expect(alert.textContent).not.toMatch(/unreachable/);
    expect(within(alert).getByText('edge-3')).toBeTruthy();
  });

  it('shows an error state when the API cannot be reached, and refreshes when asked', async () => {
    const config = signedInConfig(api);
    await api.close();
    render(<HealthPanel config={config} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/The API is unreachable\. Cannot reach the API/);
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(screen.getByRole('status').textContent).toMatch(/Checking the API/);
    expect(await screen.findByRole('alert')).toBeTruthy();
  });
});
