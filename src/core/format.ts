/** How Tandem writes times and fractions for people: the page, the benchmark tables and the report share these. */

/** `ms` as seconds with `digits` decimals: `12.3 s`; `null` as `fallback`. */
export function seconds(ms: number | null | undefined, digits = 1, fallback = '–'): string {
  return ms === null || ms === undefined ? fallback : `${(ms / 1000).toFixed(digits)} s`;
}

/** A fraction as a percentage with `digits` decimals: `85.4%`; `null` as `fallback`. */
export function percent(fraction: number | null | undefined, digits = 1, fallback = '–'): string {
  return fraction === null || fraction === undefined ? fallback : `${(fraction * 100).toFixed(digits)}%`;
}
