/**
 * Build of the dashboard: `npm run build:dashboard` writes static files to `dist/dashboard/`,
 * which `relay-audit serve` serves locally and the CDK stack uploads to S3.
 *
 * For development run `relay-audit serve` (port 8787) and `npx vite --config dashboard/vite.config.ts`:
 * the dev server passes `/api` and `/config.json` on to it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const API_SERVER = process.env.RELAY_AUDIT_SERVE_URL ?? 'http://127.0.0.1:8787';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The chart library is the bulk of the bundle; it is tree-shaken to the bar chart's parts.
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { '/api': API_SERVER, '/config.json': API_SERVER },
  },
});
