/**
 * A backend that ran out of memory, told apart from other failures. tfjs'
 * WebAssembly says so only as an abort ("Aborted(). Build with -sASSERTIONS
 * for more info.") or an out-of-bounds access, and after either its module
 * is dead: every later call fails too, so the worker must be replaced.
 */

/** Messages a backend gives when an allocation failed or its memory overflowed. */
const OUT_OF_MEMORY = [
  /\bAborted\(/,
  /memory access out of bounds/i,
  /out of memory/i,
  /Cannot enlarge memory/i,
  /Array buffer allocation failed/i,
  /could not allocate memory/i,
  /Failed to allocate/i,
];

export function isOutOfMemory(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return OUT_OF_MEMORY.some((re) => re.test(text));
}

/** What a person needs to know: memory, which worker, which model and batch, and what to do. */
export function outOfMemoryReason(input: {
  id: number;
  backend: string;
  model: string;
  batch: number;
  call: string;
  raw: string;
}): string {
  return (
    `Worker ${input.id} (${input.backend}) ran out of memory during ${input.call}, training ${input.model} at batch ${input.batch} ` +
    `(${input.raw.trim()}). Lower batchSize (or batchSizeByBackend ${input.backend}:N) or use a smaller model; ` +
    `the worker is replaced before the next run.`
  );
}
