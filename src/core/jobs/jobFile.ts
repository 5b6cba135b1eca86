/**
 * Job files (`*.tune.json`, the trainer's DPO config): checked against schemas/tune.schema.json with the
 * place of every problem, and the job folder they name. Relative paths resolve against the file's
 * folder, exactly as the trainer does.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { findNodeAtLocation, getNodeValue, parseTree, ParseErrorCode, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import tuneSchemaJson from '../../../schemas/tune.schema.json';
import { SchemaValidator, type Schema } from '../jsonSchema';
import { counted } from '../counted';

/** The trainer's presets (trainer/styletune_trainer/config.py PRESETS); a unit test keeps them in sync. */
export const PRESETS = [
  {
    name: 'hal', label: 'HAL-like', detail: 'HAL (arXiv 2601.02813): beta 0.1, LoRA r 16 / alpha 32 on attention + MLP, lr 5e-5, 10 epochs',
    settings: {
      beta: 0.1, loss_type: 'sigmoid', lora_r: 16, lora_alpha: 32, lora_dropout: 0.1,
      lora_target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      learning_rate: 5e-5, num_train_epochs: 10,
    },
  },
  {
    name: 'human-like-dpo', label: 'Human-like-DPO-like', detail: 'Human-like DPO (arXiv 2501.05032): LoRA r 8 / alpha 4 on all linear layers, lr 2e-4 cosine, 1 epoch',
    settings: {
      beta: 0.1, loss_type: 'sigmoid', lora_r: 8, lora_alpha: 4, lora_dropout: 0.05,
      lora_target_modules: 'all-linear', learning_rate: 2e-4, lr_scheduler_type: 'cosine', num_train_epochs: 1,
    },
  },
] as const;

export type PresetName = (typeof PRESETS)[number]['name'];

export const JOB_FILE_SUFFIX = '.tune.json';

export interface JobFile {
  path: string;
  config: Record<string, unknown>;
  /** output_dir resolved against the file's folder. */
  jobDir: string;
}

/** A problem with a job file, where it is and what to do. */
export class JobFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'JobFileError';
  }
}

/** Line and column (1-based) of character `offset` in `text`. */
export function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** A problem in a job file's text: the characters it is about, and what is wrong in words. */
export interface JobFileProblem {
  start: number;
  end: number;
  message: string;
}

let validator: SchemaValidator | undefined;
/** schemas/tune.schema.json, the file the editor's IntelliSense and the trainer's own checks use too. */
export function tuneSchema(): SchemaValidator {
  validator ??= new SchemaValidator(tuneSchemaJson as unknown as Schema, 'schemas/tune.schema.json');
  return validator;
}

const PARSE_ERRORS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'malformed number',
  [ParseErrorCode.PropertyNameExpected]: 'a key in double quotes expected (a trailing comma?)',
  [ParseErrorCode.ValueExpected]: 'a value expected',
  [ParseErrorCode.ColonExpected]: '":" expected',
  [ParseErrorCode.CommaExpected]: '"," expected',
  [ParseErrorCode.CloseBraceExpected]: '"}" expected',
  [ParseErrorCode.CloseBracketExpected]: '"]" expected',
  [ParseErrorCode.EndOfFileExpected]: 'text after the end of the object',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape in a string',
};

const WHAT: Record<string, string> = { model: 'a model folder in Hugging Face layout', train_file: 'a JSONL file of preference pairs', output_dir: 'the job folder' };

/**
 * Every problem of a job file: JSON syntax first (nothing else can be checked then), then everything
 * schemas/tune.schema.json says (types, ranges, enums, unknown keys with the setting they most likely
 * meant), each at the exact key or value it is about.
 */
export function jobFileProblems(text: string): JobFileProblem[] {
  const syntax: ParseError[] = [];
  const root = parseTree(text, syntax, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (syntax.length || !root) {
    // One report per place: a trailing comma is both "key expected" and "value expected" at the brace.
    const first = syntax.filter((e, i) => syntax.findIndex((o) => o.offset === e.offset) === i);
    return (first.length ? first : [{ error: ParseErrorCode.ValueExpected, offset: 0, length: 0 }]).map((e) => ({
      start: e.offset,
      end: e.offset + Math.max(1, e.length),
      message: `not valid JSON: ${PARSE_ERRORS[e.error] ?? printParseErrorCode(e.error)}. The trainer reads plain JSON: no comments or trailing commas.`,
    }));
  }
  const whole = { start: root.offset, end: root.offset + 1 };
  if (root.type !== 'object') return [{ ...whole, message: 'a job file is one JSON object with model, train_file and output_dir.' }];
  const schema = tuneSchema();
  const out: JobFileProblem[] = [];
  for (const p of schema.problems(getNodeValue(root))) {
    const node = p.path.length ? findNodeAtLocation(root, p.path) : undefined;
    const target = p.onKey ? node?.parent?.children?.[0] : node;
    const at = target ? { start: target.offset, end: target.offset + target.length } : whole;
    const key = p.path.length ? String(p.path[0]) : undefined;
    if (p.onKey && key) {
      const near = closest(key, schema.propertyNames());
      out.push({ ...at, message: `unknown setting "${key}"${near ? `; did you mean "${near}"?` : ''} The trainer refuses keys it does not know.` });
    } else if (key) {
      out.push({ ...at, message: `"${p.path.join('.')}" ${p.message}.` });
    } else {
      out.push({ ...at, message: `${p.message}.` });
    }
  }
  // The schema allows an empty string; a job cannot use one.
  for (const key of ['model', 'train_file', 'output_dir']) {
    const node = findNodeAtLocation(root, [key]);
    if (node?.type === 'string' && !String(node.value).trim()) {
      const keyNode = node.parent!.children![0]!;
      out.push({ start: keyNode.offset, end: node.offset + node.length, message: `"${key}" must be a non-empty string (${WHAT[key]}).` });
    }
  }
  out.push(...relationProblems(root, out));
  return out.sort((a, b) => a.start - b.start);
}

/**
 * What the schema cannot say: settings that are fine alone but not together (the trainer's
 * DPOConfig.validate checks the same). Only between values that passed their own checks.
 */
function relationProblems(root: Node, found: JobFileProblem[]): JobFileProblem[] {
  const out: JobFileProblem[] = [];
  const node = (key: string) => findNodeAtLocation(root, [key]);
  const ok = (key: string) => {
    const n = node(key);
    return n !== undefined && !found.some((p) => p.start >= n.parent!.offset && p.end <= n.parent!.offset + n.parent!.length);
  };
  const at = (key: string) => {
    const n = node(key)!;
    const k = n.parent!.children![0]!;
    return { start: k.offset, end: n.offset + n.length };
  };
  const value = (key: string) => node(key)?.value as unknown;
  const preset = PRESETS.find((p) => p.name === value('preset'))?.settings as Record<string, unknown> | undefined;
  const setting = (key: string, dflt: unknown) => (node(key) ? value(key) : preset?.[key] ?? dflt);
  const maxLength = setting('max_length', 1024);
  if (ok('truncate_prompt_to') && typeof value('truncate_prompt_to') === 'number' && typeof maxLength === 'number'
    && (value('truncate_prompt_to') as number) >= maxLength) {
    out.push({ ...at('truncate_prompt_to'), message: `"truncate_prompt_to" (${value('truncate_prompt_to')}) must be smaller than max_length (${maxLength}): max_length counts prompt + completion.` });
  }
  const loss = setting('loss_type', 'sigmoid');
  if (ok('label_smoothing') && typeof value('label_smoothing') === 'number' && (value('label_smoothing') as number) > 0
    && loss !== 'robust' && loss !== 'conservative') {
    out.push({ ...at('label_smoothing'), message: `"label_smoothing" ${value('label_smoothing')} has no effect on loss_type ${String(loss)} (TRL 1.16's sigmoid ignores it too); use loss_type "conservative" (conservative DPO) or "robust", or drop it.` });
  }
  const steps = value('max_steps');
  if (ok('max_steps') && typeof steps === 'number' && (steps === 0 || steps < -1)) {
    out.push({ ...at('max_steps'), message: `"max_steps" must be -1 (train for num_train_epochs) or a positive number of steps, got ${steps}.` });
  }
  return out;
}

/** The property name nearest to a misspelt one (edit distance at most a third of its length), if any. */
function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** Parses a job file's text; throws JobFileError at its first problem (jobFileProblems lists them all). */
export function parseJobFile(path: string, text: string): JobFile {
  const problems = jobFileProblems(text);
  if (problems.length) {
    const first = problems[0]!;
    const at = position(text, first.start);
    const more = problems.length > 1 ? ` (and ${counted(problems.length - 1, 'more problem')})` : '';
    throw new JobFileError(path, at.line, at.column, first.message + more);
  }
  const c = JSON.parse(text) as Record<string, unknown>;
  const out = c.output_dir as string;
  return { path, config: c, jobDir: isAbsolute(out) ? out : resolve(dirname(path), out) };
}

export function readJobFile(path: string): JobFile {
  return parseJobFile(path, readFileSync(path, 'utf8'));
}

export interface QuickJob {
  model: string;
  trainFile: string;
  jobDir: string;
  preset?: PresetName;
}

/**
 * The job file the quick-pick flow writes into the job folder: absolute data paths and `output_dir: "."`,
 * so the folder carries its own recipe and Resume (or `styletune tune`) runs it again as is.
 */
export function quickJobFile(q: QuickJob): { path: string; text: string } {
  const config: Record<string, unknown> = { model: q.model, train_file: q.trainFile, output_dir: '.' };
  if (q.preset) config.preset = q.preset;
  return { path: join(q.jobDir, `job${JOB_FILE_SUFFIX}`), text: JSON.stringify(config, null, 2) + '\n' };
}

/** A folder name for a new job: the pairs file's name and the date, e.g. "pairs-2026-11-22-0512". */
export function defaultJobName(trainFile: string, now = new Date()): string {
  const base = (trainFile.split(/[\\/]/).pop() ?? 'job').replace(/(\.pairs)?\.jsonl$/i, '').replace(/[^\w.-]+/g, '-') || 'job';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${base}-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
}
