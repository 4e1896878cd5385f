import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import Toaster from '../../site/components/Toaster';
import { toastStore } from '../../site/lib/toasts';

describe('toasts', () => {
  it('lists what any island raises, with the request id, until dismissed', () => {
    render(<Toaster />);
    act(() => {
      toastStore.show({ kind: 'error', message: 'Could not save', requestId: 'req-42' });
      toastStore.show({ kind: 'success', message: 'Preferences saved' });
    });
    const region = screen.getByRole('region', { name: 'Notifications' });
    const items = within(region).getAllByRole('listitem');
    expect(items.map((i) => i.querySelector('p')?.textContent)).toEqual(['Could not save', 'Preferences saved']);
    expect(within(items[0]!).getByText('req-42')).toBeTruthy();

    fireEvent.click(within(items[0]!).getByRole('button', { name: 'Dismiss' }));
    expect(within(region).getAllByRole('listitem')).toHaveLength(1);
  });

  it('shows one toast when several islands report the same failure', () => {
    render(<Toaster />);
    act(() => {
      for (let i = 0; i < 3; i++) toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: null });
      toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: 'req-1' });
    });
    expect(screen.getAllByRole('listitem')).toHaveLength(2);
  });

  it('dismisses a toast by itself after a while', () => {
    vi.useFakeTimers();
    try {
      render(<Toaster />);
      act(() => {
        toastStore.show({ kind: 'success', message: 'Saved' });
      });
      expect(screen.getAllByRole('listitem')).toHaveLength(1);
      act(() => vi.advanceTimersByTime(10_000));
      expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
