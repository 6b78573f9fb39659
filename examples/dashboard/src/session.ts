//! The staff session: the access token from `staffLogin` and the refresh token that renews it,
//! kept in sessionStorage so a reload keeps the session and closing the tab ends it.
import { computed, ref } from 'vue'

const TOKEN = 'commerce-dashboard-token'
const RENEWAL = 'commerce-dashboard-renewal'

export interface Renewal {
  refreshToken: string
  /** When the access token expires (RFC 3339). */
  expiresAt: string
}

const token = ref<string | null>(sessionStorage.getItem(TOKEN))

export const signedIn = computed(() => token.value !== null)

export function accessToken(): string | null {
  return token.value
}

export function renewal(): Renewal | null {
  const text = sessionStorage.getItem(RENEWAL)
  return text ? (JSON.parse(text) as Renewal) : null
}

export function signIn(accessToken: string, next?: Renewal): void {
  sessionStorage.setItem(TOKEN, accessToken)
  if (next) sessionStorage.setItem(RENEWAL, JSON.stringify(next))
  token.value = accessToken
}

/** Forgets the tokens; the caller reloads so no cached data or open subscription outlives them. */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN)
  sessionStorage.removeItem(RENEWAL)
  token.value = null
}
