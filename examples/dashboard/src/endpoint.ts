//! Where the router is: `VITE_GRAPHQL_URL` at build time, else `/graphql` on the page's own
//! origin (the stack serves the dashboard beside the router, Vite's dev server proxies it).
const configured = import.meta.env.VITE_GRAPHQL_URL ?? '/graphql'

export const httpUrl = new URL(configured, window.location.href).toString()

export const wsUrl = httpUrl.replace(/^http/, 'ws')
