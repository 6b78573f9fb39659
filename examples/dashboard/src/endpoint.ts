//! Where the router is: the stack that serves the dashboard names it in a
//! `<meta name="graphql-endpoint">` it adds to index.html; otherwise `VITE_GRAPHQL_URL` at build
//! time, else `/graphql` on the page's own origin (Vite's dev server proxies it to a stack).
const meta = document.querySelector<HTMLMetaElement>('meta[name="graphql-endpoint"]')
const configured = meta?.content || import.meta.env.VITE_GRAPHQL_URL || '/graphql'

export const httpUrl = new URL(configured, window.location.href).toString()

/** The same path over WebSocket, for subscriptions (graphql-transport-ws). */
export const wsUrl = httpUrl.replace(/^http/, 'ws')
