import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Toaster, { DISMISS_AFTER_MS } from '../../site/components/Toaster';
import { toastStore } from '../../site/lib/toasts';

describe('toasts', () => {
  it('hydrates without a mismatch when another island raised a toast before this one hydrated', async () => {
    toastStore.clear();
    const container = document.createElement('div');
    // What Astro served: the page's HTML, rendered with no toasts.
    container.innerHTML = renderToString(<Toaster />);
    document.body.appendChild(container);
    toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: null });
    const mismatches: unknown[] = [];
    let root: ReturnType<typeof hydrateRoot> | undefined;
    await act(async () => {
      root = hydrateRoot(container, <Toaster />, { onRecoverableError: (error) => mismatches.push(error) });
    });
    expect(mismatches).toEqual([]);
    expect(container.textContent).toContain('Cannot reach the API');
    act(() => {
      root?.unmount();
      toastStore.clear();
    });
    container.remove();
  });

  it('lists what any island raises, with the request id, until dismissed', () => {
    render(<Toaster />);
    act(() => {
      toastStore.show({ kind: 'error', message: 'Could not save', requestId: 'req-42' });
      toastStore.show({ kind: 'error', message: 'Could not load your account', requestId: null });
    });
    const region = screen.getByRole('region', { name: 'Notifications' });
    const items = within(region).getAllByRole('listitem');
    expect(items.map((i) => i.querySelector('p')?.textContent)).toEqual([
      'Could not save',
      'Could not load your account',
    ]);
    expect(within(items[0]!).getByText('req-42')).toBeTruthy();

    fireEvent.click(within(items[0]!).getByRole('button', { name: 'Dismiss' }));
    expect(within(region).getAllByRole('listitem')).toHaveLength(1);
  });

  it('replaces a confirmation once something newer is said, so "saved" never stands beside an error', () => {
    render(<Toaster />);
    act(() => {
      toastStore.show({ kind: 'success', message: 'Preferences saved' });
      toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: null });
    });
    expect(screen.getAllByRole('listitem').map((i) => i.querySelector('p')?.textContent)).toEqual([
      'Cannot reach the API',
    ]);
  });

  it('shows one toast when several islands report the same failure', () => {
    render(<Toaster />);
    act(() => {
      for (let i = 0; i < 3; i++) toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: null });
      toastStore.show({ kind: 'error', message: 'Cannot reach the API', requestId: 'req-1' });
    });
    expect(screen.getAllByRole('listitem')).toHaveLength(2);
  });

  describe('dismissing by itself', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('dismisses a confirmation after a while', () => {
      render(<Toaster />);
      act(() => {
        toastStore.show({ kind: 'success', message: 'Saved' });
      });
      expect(screen.getAllByRole('listitem')).toHaveLength(1);
      act(() => vi.advanceTimersByTime(DISMISS_AFTER_MS));
      expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    });

    it('keeps an error, with its request id, until a person dismisses it', () => {
      render(<Toaster />);
      act(() => {
        toastStore.show({ kind: 'error', message: 'Could not save', requestId: 'req-7' });
      });
      act(() => vi.advanceTimersByTime(DISMISS_AFTER_MS * 30));
      expect(screen.getByText('req-7')).toBeTruthy();
    });

    it('waits while a confirmation is hovered or focused, and restarts once left', () => {
      render(<Toaster />);
      act(() => {
        toastStore.show({ kind: 'success', message: 'Saved' });
      });
      const item = screen.getByRole('listitem');
      fireEvent.mouseEnter(item);
      act(() => vi.advanceTimersByTime(DISMISS_AFTER_MS * 2));
      fireEvent.mouseLeave(item);
      act(() => within(item).getByRole('button').focus());
      act(() => vi.advanceTimersByTime(DISMISS_AFTER_MS * 2));
      expect(screen.getAllByRole('listitem')).toHaveLength(1);

      act(() => within(item).getByRole('button').blur());
      act(() => vi.advanceTimersByTime(DISMISS_AFTER_MS - 1));
      expect(screen.getAllByRole('listitem')).toHaveLength(1);
      act(() => vi.advanceTimersByTime(1));
      expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    });
  });

  it('moves focus to the next toast, then to the region, when the focused one is dismissed', () => {
    render(<Toaster />);
    act(() => {
      toastStore.show({ kind: 'error', message: 'First', requestId: null });
      toastStore.show({ kind: 'error', message: 'Second', requestId: null });
    });
    const region = screen.getByRole('region', { name: 'Notifications' });
    const [first, second] = screen.getAllByRole('button', { name: 'Dismiss' });
    act(() => first!.focus());
    fireEvent.click(first!);
    expect(document.activeElement).toBe(second);

    fireEvent.click(second!);
    expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    expect(document.activeElement).toBe(region);
  });

  it('leaves focus alone when a toast without focus goes', () => {
    render(<Toaster />);
    const outside = document.body.appendChild(document.createElement('button'));
    try {
      act(() => {
        toastStore.show({ kind: 'error', message: 'Elsewhere', requestId: null });
      });
      outside.focus();
      act(() => toastStore.clear());
      expect(document.activeElement).toBe(outside);
    } finally {
      outside.remove();
    }
  });
});
