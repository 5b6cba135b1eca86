/** The distinct roles of some turns, in order of first appearance (plain text has none). */
export function rolesIn(turns: string | readonly { role: string }[]): string[] {
  return typeof turns === 'string' ? [] : [...new Set(turns.map((t) => t.role))];
}

/** The roles whose turns could be scored: `system` is nobody's turn. What a file is offered as the role to score. */
export function speakersOf(turns: string | readonly { role: string }[]): string[] {
  return rolesIn(turns).filter((r) => r !== 'system');
}

/**
 * The speakers of lines that have no turns by the role scored, ranked by how many lines they appear in,
 * most first: a file whose speakers have other names (topical-chat's agent_1 and agent_2) is told once
 * which roles it has, the likeliest first (CLI summaries, the inspector's notice, inline annotations).
 * Counts, not lines, are kept, so a CLI streaming a million such lines holds a few numbers.
 */
export class SpeakerTally {
  private readonly counts = new Map<string, number>();

  /** One line's (or candidate's) speakers. */
  add(speakers: readonly string[]): void {
    for (const s of speakers) this.counts.set(s, (this.counts.get(s) ?? 0) + 1);
  }

  /** Most common first; equally common ones in the order they were first seen (sort is stable). */
  ranked(): string[] {
    return [...this.counts.keys()].sort((a, b) => this.counts.get(b)! - this.counts.get(a)!);
  }
}

/** The speakers of these lines, ranked as SpeakerTally does. */
export function rankSpeakers(perLine: Iterable<readonly string[]>): string[] {
  const tally = new SpeakerTally();
  for (const speakers of perLine) tally.add(speakers);
  return tally.ranked();
}

/**
 * Whether the turns by `role` say nothing: there are some, and none has more than whitespace (plain text
 * is the role's own turn). Such a reply has no style to score; the traits of nothing are the model's
 * guess, and it guessed high (the default reward gave "" 4.36 and "pretty chill, went hiking. you?"
 * 1.38), so scoring, previews, the labeler's hint and the style probe show it as empty, not rewarded.
 */
export function saysNothing(turns: string | readonly { role: string; content: string }[], role: string): boolean {
  if (typeof turns === 'string') return turns.trim() === '';
  // No turn by the role is another problem (the role is missing, and the file is told which roles it has).
  const mine = turns.filter((t) => t.role === role);
  return mine.length > 0 && mine.every((t) => t.content.trim() === '');
}
