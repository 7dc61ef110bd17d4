/**
 * V8's own view of an array's layout, through its test intrinsics, for tests
 * of code that exists to keep arrays in one layout. Node runs the browser's
 * engine, with the same structured clone. The caller sets
 * `--allow-natives-syntax` (node:v8's setFlagsFromString) before the first
 * call: the function is compiled on first use, after the flag.
 */
let compiled: ((a: readonly unknown[]) => string) | null = null;

export function layoutOf(a: readonly unknown[]): string {
  compiled ??= new Function(
    'a',
    "return (%HasSmiElements(a) ? 'small integers' : %HasDoubleElements(a) ? 'doubles' : 'any values') + (%HasHoleyElements(a) ? ', holey' : ', packed');",
  ) as (a: readonly unknown[]) => string;
  return compiled(a);
}
