/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the router's GraphQL endpoint is; same-origin `/graphql` by default. */
  readonly VITE_GRAPHQL_URL?: string
}
