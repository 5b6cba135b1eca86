/**
 * Markdown chat transcripts: the plain-text form people paste conversations in. A turn starts at a
 * speaker line and runs until the next one:
 *
 *   **User:** hey, how was the weekend?        bold label, any speaker name, text may follow on the line
 *   Assistant: honestly pretty chill lol       plain label: only the role words below (or `speakers`)
 *   ### assistant                              heading whose whole text is a role word (or a `speakers` name)
 *
 * Speaker names are lowercased, spaces become `_` ("Agent 1" → `agent_1`) and `human` means `user`,
 * so turns line up with the `role` of JSONL messages. Text before the first speaker line (a title, a
 * preamble) belongs to no turn, and nothing inside a ``` fence starts a turn. Plain and heading
 * labels are limited to known words because "Note: …" or "## Results" are ordinary markdown.
 */
import type { Message } from './types';

export interface TranscriptTurn extends Message {
  /** 0-based line of the speaker label. */
  line: number;
  /** 0-based last line with text of this turn (≥ line). */
  endLine: number;
}

export interface ParseTranscriptOptions {
  /** More names accepted as plain or heading labels, e.g. the configured role `agent_1`. */
  speakers?: readonly string[];
}

const ROLE_WORDS = new Set(['user', 'assistant', 'system', 'human', 'ai', 'bot', 'model']);
const ALIASES: Record<string, string> = { human: 'user' };
/** Speaker names are short: longer bold text followed by a colon is emphasis, not a label. */
const MAX_NAME = 40;

const BOLD = /^\s{0,3}\*\*([^*:]{1,40}?)(?::\*\*|\*\*:)\s?(.*)$/;
const PLAIN = /^([A-Za-z][\w -]{0,39}?):(?:\s+(.*))?$/;
const HEADING = /^\s{0,3}#{1,6}\s+([^#]+?)\s*#*\s*$/;
const FENCE = /^\s{0,3}(```|~~~)/;
/** `---` between turns separates them; it is not part of either. */
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

export function speakerId(name: string): string {
  const id = name.trim().toLowerCase().replace(/\s+/g, '_');
  return ALIASES[id] ?? id;
}

/** The speaker and the text after the label, if `line` starts a turn. */
export function speakerLine(line: string, known: ReadonlySet<string>): { role: string; rest: string } | undefined {
  // Cheap rejects first: this runs on every line of a 5,000-turn document.
  const c = line.charCodeAt(line.search(/\S/));
  if (c === 42 /* * */) {
    const m = BOLD.exec(line);
    if (m && m[1].trim().length <= MAX_NAME && /^[\p{L}\p{N}][\p{L}\p{N} _-]*$/u.test(m[1].trim())) {
      return { role: speakerId(m[1]), rest: m[2] };
    }
    return undefined;
  }
  if (c === 35 /* # */) {
    const m = HEADING.exec(line);
    if (m && known.has(speakerId(m[1]))) return { role: speakerId(m[1]), rest: '' };
    return undefined;
  }
  const m = PLAIN.exec(line);
  if (m && known.has(speakerId(m[1]))) return { role: speakerId(m[1]), rest: m[2] ?? '' };
  return undefined;
}

export function parseTranscript(text: string, opts: ParseTranscriptOptions = {}): TranscriptTurn[] {
  const known = new Set(ROLE_WORDS);
  for (const s of opts.speakers ?? []) known.add(speakerId(s));
  const lines = text.split('\n');
  const turns: TranscriptTurn[] = [];
  let current: { role: string; line: number; endLine: number; parts: string[] } | undefined;
  let fenced = false;
  const close = () => {
    if (!current) return;
    const parts = current.parts;
    while (parts.length && (!parts[parts.length - 1].trim() || RULE.test(parts[parts.length - 1]))) parts.pop();
    const content = parts.join('\n').trim();
    turns.push({ role: current.role, content, line: current.line, endLine: current.endLine });
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (FENCE.test(line)) fenced = !fenced;
    else if (!fenced) {
      const speaker = speakerLine(line, known);
      if (speaker) {
        close();
        current = { role: speaker.role, line: i, endLine: i, parts: [speaker.rest] };
        continue;
      }
    }
    if (!current) continue;
    current.parts.push(line);
    if (line.trim() && !RULE.test(line)) current.endLine = i;
  }
  close();
  return turns;
}
