/**
 * The group a line belongs to by one of its fields, for every command that groups: `fit --by` and
 * `--fold-by`, `eval --by`, `pairs ranked --group-by`. A string is its own key, a number or boolean its
 * text; a missing field or null is no group. A list or an object is refused with a reason: printing it
 * would need recursion (a 5,000-deep array ended whole runs with "Maximum call stack size exceeded"),
 * and two spellings of one object should not make two groups. Nothing here recurses.
 */
export function fieldKey(field: string, value: unknown): string | undefined | { error: string } {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return { error: `\`${field}\` must be a string, number or boolean to group by, got ${Array.isArray(value) ? 'a list' : 'an object'}` };
}
