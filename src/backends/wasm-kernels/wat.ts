/**
 * Node-side compiler for the hand-written WebAssembly text kernels. The Vite
 * plugin (vite.config.ts) inlines the compiled bytes into the worker bundle;
 * Node tests and benchmarks compile the source directly. Never imported by
 * browser code: it loads wabt and node:fs.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import wabt from 'wabt';

/** The filter-gradient kernel's source, next to this file. */
export const FILTER_GRAD_WAT = fileURLToPath(new URL('./filter-grad.wat', import.meta.url));

/** Compiles a .wat file with SIMD enabled; a syntax or type error names the file and line. */
export async function compileWatFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const source = await readFile(path, 'utf8');
  const toolkit = await wabt();
  const module = toolkit.parseWat(path, source, { simd: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
