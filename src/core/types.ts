/**
 * The data shapes every part of StyleTune shares (CLI, extension, webviews, workers).
 * Pure types: this folder (src/core) never imports `vscode`, so anything here runs in plain Node.
 */

import type { Message } from './shared';

/** One turn of a conversation: declared in ./shared.ts, the type-only module the webviews import too. */
export type { Message };

/** A dialogue line: `{"messages": [...], ...other fields kept}`. */
export interface Dialogue {
  messages: Message[];
}

/** TRL allows a prompt/response to be a plain string or a list of messages (conversational). */
export type Turns = string | Message[];

/** TRL preference pair `{prompt?, chosen, rejected}`; without `prompt` the prompt is implicit. */
export interface PreferencePair {
  prompt?: Turns;
  chosen: Turns;
  rejected: Turns;
}

/** Contrastive conversation pair `{human: dialogue, ai: dialogue}` (the Turing-game shape). */
export interface ContrastivePair {
  human: Dialogue;
  ai: Dialogue;
}

/** A validated JSONL record; `raw` keeps every field of the line, including ones we do not use. */
export type DataRecord =
  | { kind: 'dialogue'; dialogue: Dialogue; raw: Record<string, unknown> }
  | { kind: 'pair'; pair: PreferencePair; raw: Record<string, unknown> }
  | { kind: 'contrastive'; pair: ContrastivePair; raw: Record<string, unknown> };

export type RecordKind = DataRecord['kind'];

/**
 * Candidate replies to one prompt (the pair labeler's `{"prompt", "responses": [a, b, …]}`): undecided,
 * a tie or skip, or ranked best first. Scoring and inspecting read them (every candidate scored); training
 * and fitting need a decision and read only DataRecord.
 */
export interface CandidateSet {
  prompt?: Turns;
  responses: Turns[];
  /** Candidate numbers (1-based), best first, when the line is labeled with a ranking of all of them. */
  ranking?: number[];
}

/** What scoring reads: any record, or a candidate set. */
export type ScorableRecord = DataRecord | { kind: 'candidates'; candidates: CandidateSet; raw: Record<string, unknown> };

/** A problem found in a user file. `line` and `column` are 1-based, as editors show them. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  /** Plain words, without the location: "`chosen` must be a string or a list of messages, got number". */
  message: string;
  /** Set when the line has no turns by the role scored: a file whose speakers have other names fails on every line, and the CLI and the inspector say so once, naming them. */
  missingRole?: MissingRole;
}

/** A line with no turns by the role scored: which role, and the roles the line has instead. */
export interface MissingRole {
  role: string;
  roles: string[];
  /** A dialogue line (no preference in it: commands that compare sides skip it anyway). */
  dialogue: boolean;
}

/**
 * "file:line:column: message", the form terminals and editors turn into links. File names and messages
 * carry text from the data (role names, object keys, values), so they go through `printable`: a newline
 * in a role name cannot forge a second diagnostic, nor an escape sequence reach the terminal.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${printable(d.file)}:${d.line}:${d.column}: ${d.severity}: ${printable(d.message)}`;
}

/**
 * Characters that would end a line, drive a terminal or reorder what is shown: C0 and C1 controls
 * (ESC starts ANSI sequences, U+009B is a one-character CSI), DEL, the Unicode line and paragraph
 * separators, and the bidirectional overrides and isolates ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this regex's purpose
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every such character written as an escape (`\n`, `\u001b`), for one line of terminal output. */
export function printable(text: string): string {
  if (!UNPRINTABLE.test(text)) return text;
  return text.replace(UNPRINTABLE_ALL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
