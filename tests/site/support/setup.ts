import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { DEV_USER_KEY } from '../../../site/lib/auth';
import { toastStore } from '../../../site/lib/toasts';

afterEach(() => {
  cleanup();
  toastStore.clear();
  localStorage.removeItem(DEV_USER_KEY);
  delete document.documentElement.dataset.theme;
});
