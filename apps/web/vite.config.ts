import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { precompressDir } from './src/server/http/precompress.js';

const outDir = fileURLToPath(new URL('./dist/ui', import.meta.url));

/** Writes .br and .gz beside every built text file, so the server never compresses per request. */
function precompress(): Plugin {
  return {
    name: 'quarry-precompress',
    apply: 'build',
    closeBundle() {
      const r = precompressDir(outDir);
      const kb = (n: number) => `${Math.round(n / 1024)} KB`;
      this.info(`precompressed ${r.files} files: ${kb(r.bytes)} → brotli ${kb(r.brotliBytes)}, gzip ${kb(r.gzipBytes)}`);
    },
  };
}

export default defineConfig({
  root: 'src/ui',
  plugins: [react(), precompress()],
  build: { outDir: '../../dist/ui', emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    proxy: { '/api': { target: 'http://127.0.0.1:2000', changeOrigin: false } },
  },
});
