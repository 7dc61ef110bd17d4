/** Test inputs for the kernel tests: reproducible without an RNG dependency. */

/** Deterministic values in [-1, 1), the same on every backend: xorshift32 from `seed`. */
export function values(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** Deterministic integers in [min, max], from the same xorshift32 stream as `values`. */
export function integers(length: number, min: number, max: number, seed: number): Int32Array {
  return Int32Array.from(values(length, seed), (v) => min + Math.min(max - min, Math.floor(((v + 1) / 2) * (max - min + 1))));
}
