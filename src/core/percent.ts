/**
 * Shares as people read them. A share is never rounded to 100 % or 0 % unless it is exactly that: 4,944
 * of 4,948 pairs is "99.92 %", not "100 %", so a reader never concludes that all pairs agree while four
 * do not. One decimal by default, one more within 1 % of either end (where the few that differ are the
 * point), and more still where that would round onto the end. Every place that shows a share (CLI,
 * webviews, messages) formats it here.
 */

/** `ratio` in [0, 1] as "73.4 %"; `digits` decimals at least (more near 0 % and 100 %). */
export function percent(ratio: number, digits = 1): string {
  if (!Number.isFinite(ratio)) return '–';
  const p = 100 * ratio;
  if (ratio === 1 || ratio === 0) return `${p.toFixed(digits)} %`;
  let d = p > 99 || p < 1 ? digits + 1 : digits;
  let text = p.toFixed(d);
  // A share that is not all (or none) must not read as if it were: add decimals until it does not.
  while (d < 8 && (Number(text) >= 100 || Number(text) <= 0) && ratio > 0 && ratio < 1) text = p.toFixed(++d);
  return `${text} %`;
}

/** `part` of `whole` as a share: `percent(part / whole)`, "–" for an empty whole. */
export function share(part: number, whole: number, digits = 1): string {
  return whole > 0 ? percent(part / whole, digits) : '–';
}
