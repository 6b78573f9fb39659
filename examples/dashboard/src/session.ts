//! The staff session: the access token from `staffLogin`, kept in sessionStorage so a reload
//! keeps the session and closing the tab ends it.
import { computed, ref } from 'vue'

const KEY = 'commerce-dashboard-token'

const token = ref<string | null>(sessionStorage.getItem(KEY))

export const signedIn = computed(() => token.value !== null)

export function accessToken(): string | null {
  return token.value
}

export function signIn(accessToken: string): void {
  sessionStorage.setItem(KEY, accessToken)
  token.value = accessToken
}

/** Forgets the token; the caller reloads so no cached data or open subscription outlives it. */
export function signOut(): void {
  sessionStorage.removeItem(KEY)
  token.value = null
}
