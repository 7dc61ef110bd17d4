import { defineConfig } from 'vite';

/**
 * SharedArrayBuffer (weights, losses and the dataset live in one) only exists
 * in a cross-origin isolated page, so both servers send COOP and COEP.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export default defineConfig({
  server: { headers: ISOLATION_HEADERS, port: 5173, strictPort: false },
  preview: { headers: ISOLATION_HEADERS, port: 4173, strictPort: false },
  worker: { format: 'es' },
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
