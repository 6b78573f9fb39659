import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The dev server proxies /graphql (HTTP and WebSocket) to a running stack, so the app talks to
// its own origin as it does when the stack serves the built files:
// COMMERCE_ROUTER=http://127.0.0.1:4000 npm run dev
const router = process.env.COMMERCE_ROUTER ?? 'http://127.0.0.1:4000'

export default defineConfig({
  plugins: [vue()],
  // Relative asset URLs, so the built app works under whatever path the stack serves it.
  base: './',
  server: {
    proxy: { '/graphql': { target: router, ws: true, changeOrigin: true } },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
})
