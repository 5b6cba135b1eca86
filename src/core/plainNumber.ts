/**
 * Axis and value labels as plain numbers: 0.0005, 1.25, 340. (toPrecision(3) gave "0.000500", which the
 * axis's width cut to "000500".) Tiny values that would need many zeros use exponent form.
 */
export function plainNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a < 1e-4) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
