// Where the router is: the stack that serves this app names it in a
// `<meta name="graphql-endpoint">` it adds to index.html; `npm run dev` uses VITE_GRAPHQL_URL.
const meta = document.querySelector<HTMLMetaElement>('meta[name="graphql-endpoint"]');

export const GRAPHQL_URL: string =
  meta?.content || import.meta.env.VITE_GRAPHQL_URL || 'http://127.0.0.1:4000/graphql';

/// The same path over WebSocket, for subscriptions (graphql-transport-ws).
export const GRAPHQL_WS_URL: string = new URL(GRAPHQL_URL, window.location.href).href.replace(
  /^http/,
  'ws',
);

export const CURRENCIES = ['EUR', 'USD'] as const;
export type Currency = (typeof CURRENCIES)[number];

/// Where a cart in each currency ships by default until an address is given.
export const DEFAULT_COUNTRY: Record<Currency, string> = { EUR: 'DE', USD: 'US' };

/// The visitor's currency until they pick one: USD for US English, EUR otherwise.
export function guessCurrency(): Currency {
  return navigator.language === 'en-US' ? 'USD' : 'EUR';
}

/// Cards of the payments subgraph's built-in test provider.
export const TEST_CARDS = [
  { number: '4242 4242 4242 4242', label: 'succeeds' },
  { number: '4000 0000 0000 0002', label: 'declined (CARD_DECLINED)' },
  { number: '4000 0000 0000 9995', label: 'declined (INSUFFICIENT_FUNDS)' },
] as const;
