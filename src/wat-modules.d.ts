/**
 * `import wasm from './kernel.wat'`: the module's compiled bytes, inlined by
 * the `wat` plugin in vite.config.ts (Node code compiles with
 * src/backends/wasm-kernels/simd/wat.ts instead).
 */
declare module '*.wat' {
  const wasm: Uint8Array<ArrayBuffer>;
  export default wasm;
}
