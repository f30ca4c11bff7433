import { defineConfig } from 'vite';

// Preact through esbuild's automatic JSX runtime: no Babel preset needed.
export default defineConfig({
  base: '/ui/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { sourcemap: false, chunkSizeWarningLimit: 300 },
});
