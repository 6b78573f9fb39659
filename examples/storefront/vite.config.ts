// Run with: npm run dev (a running stack's router at http://127.0.0.1:4000/graphql, or set
// VITE_GRAPHQL_URL); `npm run build` writes dist/, which `cargo run -p commerce-stack` serves.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { target: 'es2022', sourcemap: false },
});
