import type { Tenant } from '../lib/api';

/** The trial line of the account card, in words. */
export function trialSummary(tenant: Tenant, locale?: string): string {
  const { trial, trial_ends_at: endsAt } = tenant;
  if (trial.active) return trial.days_left === 1 ? 'Trial: 1 day left' : `Trial: ${trial.days_left} days left`;
  if (!endsAt) return 'No trial';
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(endsAt));
  return `Trial ended on ${date}`;
}
