//! Renews the staff access token a minute before it expires (they live 15 minutes), so a
//! dashboard left open keeps working; a refused renewal ends the session at the sign-in page.
import { watch } from 'vue'
import { client } from './client'
import { StaffSessionRefreshDocument } from './gql/graphql'
import { renewal, signIn, signOut, signedIn } from './session'

let timer: number | undefined

function schedule() {
  window.clearTimeout(timer)
  const next = renewal()
  if (!signedIn.value || !next) return
  const delay = Math.max(0, new Date(next.expiresAt).getTime() - Date.now() - 60_000)
  timer = window.setTimeout(renew, delay)
}

async function renew() {
  const current = renewal()
  if (!current) return
  // The refresh token is the credential: no Authorization header, which an access token that
  // lapsed meanwhile (a laptop asleep) would turn into a 401.
  const result = await client
    .mutation(StaffSessionRefreshDocument, { refreshToken: current.refreshToken }, { fetchOptions: {} })
    .toPromise()
  const session = result.data?.refreshSession
  if (session) {
    signIn(session.accessToken, { refreshToken: session.refreshToken, expiresAt: session.accessTokenExpiresAt })
    schedule()
  } else if (result.error?.networkError) {
    // The router is unreachable for now: try again shortly.
    timer = window.setTimeout(renew, 15_000)
  } else {
    signOut()
    window.location.hash = '#/sign-in'
    window.location.reload()
  }
}

export function keepSessionFresh() {
  watch(signedIn, schedule, { immediate: true })
}
