// The GraphQL client: urql with its document cache (a mutation returning a Cart refetches the
// queries that showed one), automatic persisted queries (queries go by hash over GET once the
// router knows them) and subscriptions over graphql-ws.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { GRAPHQL_URL, GRAPHQL_WS_URL } from './config';

export function createClient(accessToken: string | null): { client: Client; ws: WsClient } {
  const authorization = accessToken ? `Bearer ${accessToken}` : null;
  const ws = createWsClient({
    url: GRAPHQL_WS_URL,
    lazy: true,
    connectionParams: () => (authorization ? { authorization } : {}),
  });
  const client = new Client({
    url: GRAPHQL_URL,
    exchanges: [
      cacheExchange,
      persistedExchange({ preferGetForPersistedQueries: true }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const dispose = ws.subscribe(input, sink);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
    fetchOptions: () => (authorization ? { headers: { authorization } } : {}),
    requestPolicy: 'cache-and-network',
  });
  return { client, ws };
}
