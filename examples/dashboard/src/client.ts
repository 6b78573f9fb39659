//! The one urql client: HTTP for queries and mutations, graphql-transport-ws (graphql-ws) for
//! subscriptions, both carrying the staff token. Queries go as automatic persisted queries (by
//! hash over GET once the router knows the document). urql's document cache refetches a query
//! once a mutation returns a type it holds, so tables follow the changes made here.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/vue'
import { persistedExchange } from '@urql/exchange-persisted'
import { createClient as createWsClient } from 'graphql-ws'
import { accessToken } from './session'
import { httpUrl, wsUrl } from './endpoint'

const ws = createWsClient({
  url: wsUrl,
  lazy: true,
  // The router reads the payload's string entries as headers.
  connectionParams: () => {
    const token = accessToken()
    return token ? { authorization: `Bearer ${token}` } : {}
  },
  retryAttempts: Infinity,
  shouldRetry: () => true,
})

export const client = new Client({
  url: httpUrl,
  fetchOptions: (): RequestInit => {
    const token = accessToken()
    return token ? { headers: { authorization: `Bearer ${token}` } } : {}
  },
  exchanges: [
    cacheExchange,
    persistedExchange({ preferGetForPersistedQueries: true }),
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
      }),
    }),
  ],
})
