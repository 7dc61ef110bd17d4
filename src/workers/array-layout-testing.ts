import { setFlagsFromString } from 'node:v8';

/**
 * V8's own view of an array's layout, through its test intrinsics, for tests
 * of code that exists to keep arrays in one layout. Node runs the browser's
 * engine, with the same structured clone. The intrinsics need
 * `--allow-natives-syntax`, set here before the function using them is
 * compiled, on first use.
 */
let compiled: ((a: readonly unknown[]) => string) | null = null;

export function layoutOf(a: readonly unknown[]): string {
  if (compiled === null) {
    setFlagsFromString('--allow-natives-syntax');
    compiled = new Function(
      'a',
      "return (%HasSmiElements(a) ? 'small integers' : %HasDoubleElements(a) ? 'doubles' : 'any values') + (%HasHoleyElements(a) ? ', holey' : ', packed');",
    ) as (a: readonly unknown[]) => string;
  }
  return compiled(a);
}
