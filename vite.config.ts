import { defineConfig, type Plugin } from 'vite';

import { compileWatFile } from './src/backends/wasm-kernels/simd/wat.ts';

/**
 * SharedArrayBuffer (weights, losses and the dataset live in one) only exists
 * in a cross-origin isolated page, so both servers send COOP and COEP.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/**
 * `import bytes from './x.wat'` compiles the WebAssembly text at build (or
 * dev-serve) time and inlines the bytes: the kernels are small, and inline
 * bytes need no fetch, so they load the same in the page, in workers and
 * under cross-origin isolation.
 */
function watModules(): Plugin {
  return {
    name: 'tandem-wat',
    async load(id) {
      if (!id.endsWith('.wat')) return null;
      this.addWatchFile(id);
      const base64 = Buffer.from(await compileWatFile(id)).toString('base64');
      return `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));`;
    },
  };
}

export default defineConfig({
  plugins: [watModules()],
  server: { headers: ISOLATION_HEADERS, port: 5173, strictPort: false },
  preview: { headers: ISOLATION_HEADERS, port: 4173, strictPort: false },
  // Worker bundles get their own plugin list.
  worker: { format: 'es', plugins: () => [watModules()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  // Only workers import the wasm and webgpu backends; without this Vite finds
  // them late and reloads the page in the middle of a run.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      'comlink',
      'uplot',
    ],
  },
});
