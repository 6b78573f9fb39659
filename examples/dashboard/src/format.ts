//! Display helpers: money (decimal strings from the graph), dates, statuses, ids.

export interface MoneyValue {
  amount: string
  currency: string
}

export function money(value: MoneyValue | null | undefined): string {
  if (!value) return '–'
  return new Intl.NumberFormat('en', { style: 'currency', currency: value.currency }).format(Number(value.amount))
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '–'
  return new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

export function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** `YYYY-MM-DD` of a day `offset` days from today (UTC: analytics' days are UTC). */
export function isoDay(offset = 0): string {
  const day = new Date(Date.now() + offset * 86_400_000)
  return day.toISOString().slice(0, 10)
}

/** A fresh idempotency key per user action (also where `crypto.randomUUID` is missing). */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The `__typename` of a result union when it is a failure, with its message. */
export function failure(result: { __typename?: string; message?: string } | null | undefined, ok: string): string | null {
  if (!result) return 'No answer'
  if (result.__typename === ok) return null
  return result.message ?? result.__typename ?? 'Failed'
}
