/**
 * Copies structured-cloned data with every array rebuilt element by element.
 *
 * A `postMessage` copy reaches the worker with its arrays in V8's most
 * general layout ("holey elements"), even when they hold small integers.
 * The model spec's shapes become the shapes of the worker's variables, and
 * tfjs copies a tensor's shape into every tensor computed from it, so each
 * step's shape arrays arrived at tfjs' hot functions (`sizeFromShape`, the
 * `Tensor` constructor, the wasm backend's `move`) in both that layout and
 * the small-integer one its own code builds. V8 then kept compiling those
 * functions again on background threads, about a millisecond of a core per
 * step: nearly free for one worker beside an idle core, taken from the other
 * worker in a pool that fills the cores.
 *
 * V8 remembers at each array literal what was stored in the arrays it made,
 * and starts later arrays in that layout: so arrays of small integers
 * (shapes, `[]` included) are built at a literal of their own (`integers`),
 * which only ever holds them.
 *
 * Meant for plain data such as a ModelSpec: plain objects' own enumerable
 * string keys are copied (a hole becomes `undefined`); anything else (typed
 * arrays, shared memory, class instances) is kept as it is, not copied.
 */
export function packedCopy<T>(value: T): T {
  if (Array.isArray(value)) return (isIntegerList(value) ? integers(value) : list(value)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    // fromEntries defines each key, so an own `__proto__` stays a key, as the clone had it.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, packedCopy(item)])) as T;
  }
  return value;
}

/** Integers V8 keeps untagged in an array (its "small integers", 31 bits). */
function isSmallInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= -(2 ** 30) && x < 2 ** 30 && !Object.is(x, -0);
}

/** True for an array of small integers only, `[]` (a scalar's shape) included. */
function isIntegerList(value: readonly unknown[]): value is readonly number[] {
  for (let i = 0; i < value.length; i++) if (!isSmallInteger(value[i])) return false;
  return true;
}

function integers(value: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) out.push(value[i] as number);
  return out;
}

function list(value: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push(packedCopy(value[i]));
  return out;
}
