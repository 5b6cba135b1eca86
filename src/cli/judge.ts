/**
 * `styletune judge` (rate every line with an LLM judge) and `styletune checklist` (apply a checklist),
 * plus the judge options `fit` and `score` take (`--judge-ratings`, `--traits`).
 *
 * The endpoint is any OpenAI-compatible server (`--endpoint`, or STYLETUNE_JUDGE_ENDPOINT); the key
 * comes only from the environment (STYLETUNE_JUDGE_API_KEY), never from an argument that shell
 * history would keep.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic';
import { loadChecklist } from '../core/checklist/checklist';
import { checklistMarkdown, checklistReport, runChecklist, type ChecklistChecker, type ChecklistRun } from '../core/checklist/evaluate';
import { LocalCheckerError, localChecker } from '../core/checklist/local';
import { JudgeCache } from '../core/judge/cache';
import { ChatClient, JUDGE_DEFAULTS } from '../core/judge/client';
import { Judge } from '../core/judge/judge';
import { RatingsTable, rateFile, ratedLineDiagnostics, ratedLineToJson } from '../core/judge/ratings';
import { HAL16, JUDGE_TRAIT_IDS, judgeTraitId, featureIndex } from '../core/judge/traits';
import { TRAIT_IDS } from '../core/traits/catalog';
import { formatDiagnostic, printable } from '../core/types';
import { startWorker } from '../core/worker/worker';
import { numberOption, workerPython, type Values } from './command';
import { count, counted } from '../core/counted';

export const JUDGE_HELP = `Usage: styletune judge FILE.jsonl --out RATINGS.jsonl [options]

Rates every side of every line (dialogue, pair side, human/ai side) on HAL's 32 statements with an
LLM judge behind an OpenAI-compatible chat-completions endpoint. One JSON line per input line:
  {"line", "judge", "prompt", "sha256", "ratings": [32 numbers 1-5]}   (pairs: "chosen"/"rejected",
  human/ai lines: "human"/"ai", each {"sha256", "ratings"}; a side that failed: {"sha256", "error"})
Answers are cached by content, so a rerun pays only for what changed or failed. Exit code 1 if any
side could not be rated (each one is a file:line diagnostic on stderr).

Options:
  --out FILE          ratings file to write (required)
  --endpoint URL      base URL, e.g. http://127.0.0.1:8000/v1 (default $STYLETUNE_JUDGE_ENDPOINT)
  --model NAME        judge model (default $STYLETUNE_JUDGE_MODEL)
  --role ROLE         whose turns are rated (default assistant)
  --cache DIR         answer cache (default .styletune/judge-cache)
  --rpm N             requests per minute (default ${JUDGE_DEFAULTS.requestsPerMinute})
  --concurrency N     requests in flight (default ${JUDGE_DEFAULTS.concurrency})
  --timeout S         seconds per request (default ${JUDGE_DEFAULTS.timeoutMs / 1000})
  --retries N         retries on 429, 5xx, timeouts (default ${JUDGE_DEFAULTS.maxRetries})
The API key, if the endpoint needs one, is read from $STYLETUNE_JUDGE_API_KEY.

Local judge instead of an endpoint (the Python worker; ratings are the expected value of the model's
next-token distribution over the digits 1-5, so not whole numbers):
  --local-model DIR   a causal LM folder (Hugging Face layout)
  --python PATH       interpreter for the worker (default: $STYLETUNE_PYTHON, else the project .venv)`;

export const CHECKLIST_HELP = `Usage: styletune checklist CHECKLIST.yaml DIALOGUES.jsonl... [options]

Applies a checklist (YAML or JSON: groups by pattern or scenario, items {statement, weight}) to every
dialogue with the LLM judge and prints weighted pass rates per model, group and item as markdown.
A dialogue's model is its "model" field (checklist modelField), else its file's name; pair and
human/ai lines count their sides (chosen/rejected, human/ai) as models.

Options:
  --compare BASE,TUNED   add a column tuned − base (model names as in the report)
  --json                 print the report as JSON instead
  --out REPORT.md        also write the markdown report to a file
  --endpoint, --model, --role, --cache, --rpm, --concurrency, --timeout, --retries   as for judge
  --local-model DIR      answer with a local causal LM in the Python worker instead of an endpoint:
                         an item passes when the model's P(yes) over yes + no is above 0.5
  --python PATH          interpreter for the worker (default: $STYLETUNE_PYTHON, else the project .venv)`;

export const JUDGE_OPTIONS = {
  endpoint: { type: 'string' },
  model: { type: 'string' },
  role: { type: 'string' },
  cache: { type: 'string' },
  rpm: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
} as const;

/** Builds the judge from CLI options and the environment; `usage` wraps a usage mistake. */
export function judgeFromOptions(values: Values, usage: (message: string) => Error): Judge {
  const endpoint = (values.endpoint as string | undefined) ?? process.env.STYLETUNE_JUDGE_ENDPOINT;
  const model = (values.model as string | undefined) ?? process.env.STYLETUNE_JUDGE_MODEL;
  if (!endpoint) throw usage('no judge endpoint: pass --endpoint URL (e.g. http://127.0.0.1:8000/v1) or set STYLETUNE_JUDGE_ENDPOINT');
  if (!model) throw usage('no judge model: pass --model NAME or set STYLETUNE_JUDGE_MODEL');
  const positive = (name: string, integer: boolean, min: number) =>
    numberOption(values, name, (n) => n >= min && (!integer || Number.isInteger(n)), `${integer ? 'a whole number' : 'a number'} of at least ${min}`, usage, { blankIsZero: true });
  const timeout = positive('timeout', false, 0.001);
  const client = new ChatClient({
    baseUrl: endpoint,
    model,
    apiKey: process.env.STYLETUNE_JUDGE_API_KEY || undefined,
    requestsPerMinute: positive('rpm', false, 0.001),
    concurrency: positive('concurrency', true, 1),
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxRetries: positive('retries', true, 0),
  });
  return new Judge(client, new JudgeCache((values.cache as string | undefined) ?? '.styletune/judge-cache'));
}

export async function runJudgeCommand(values: Values, positionals: string[], usage: (message: string) => Error): Promise<number> {
  if (positionals.length !== 1) throw usage('judge takes one file');
  if (!values.out) throw usage('judge needs --out RATINGS.jsonl');
  if (values['local-model']) return runLocalJudge(values, positionals[0]);
  const judge = judgeFromOptions(values, usage);
  const file = positionals[0];
  const lines: string[] = [];
  let bad = 0;
  let rated = 0;
  for await (const r of rateFile(file, judge, { role: values.role as string | undefined, parallel: 2 * (judge.backend as ChatClient).options.concurrency })) {
    const diags = ratedLineDiagnostics(r, file);
    for (const d of diags) process.stderr.write(formatDiagnostic(d) + '\n');
    bad += diags.length;
    if (r.kind !== 'diagnostic') rated += r.sides.length - diags.length;
    lines.push(JSON.stringify(ratedLineToJson(r, judge.backend.name)));
  }
  await writeFileAtomic(values.out as string, lines.length > 0 ? lines.join('\n') + '\n' : '');
  const cache = judge.cache!;
  process.stderr.write(`rated ${counted(rated, 'conversation')} (${count(cache.hits)} from the cache, ${counted((judge.backend as ChatClient).requests, 'request')}); wrote ${String(values.out)}\n`);
  if (bad > 0) process.stderr.write(`${counted(bad, 'problem')}; rerun to retry the failed ones (answers already paid for come from the cache)\n`);
  return bad > 0 ? 1 : 0;
}

export async function runChecklistCommand(values: Values, positionals: string[], usage: (message: string) => Error): Promise<number> {
  if (positionals.length < 2) throw usage('checklist takes a checklist file and at least one dialogue file');
  const compare = values.compare === undefined ? undefined : String(values.compare).split(',');
  if (compare && (compare.length !== 2 || compare.some((m) => m === ''))) throw usage('--compare takes two model names: BASE,TUNED');
  let checker: Judge | ChecklistChecker;
  if (values['local-model']) {
    const worker = await workerPython('checklist', { explicit: values.python as string | undefined, env: process.env, cwd: process.cwd(), stderr: process.stderr });
    if (!worker) return 1;
    checker = localChecker({ ...worker, modelDir: resolve(values['local-model'] as string), cwd: process.cwd() });
  } else checker = judgeFromOptions(values, usage);
  const loaded = await loadChecklist(positionals[0]);
  if ('diagnostics' in loaded) {
    for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    return 1;
  }
  let run: ChecklistRun;
  try {
    run = await runChecklist(loaded.checklist, positionals.slice(1), checker, { role: values.role as string | undefined });
  } catch (e) {
    if (!(e instanceof LocalCheckerError)) throw e;
    process.stderr.write(`styletune checklist: ${e.message}\n`);
    return 1;
  }
  for (const d of run.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  const report = checklistReport(loaded.checklist, run);
  if (compare) {
    const missing = compare.filter((m) => !report.models.some((r) => r.model === m));
    if (missing.length > 0) throw usage(`--compare: no model ${missing.join(', ')} in the data; models are ${report.models.map((m) => m.model).join(', ')}`);
  }
  const md = checklistMarkdown(report, compare as [string, string] | undefined);
  if (values.out) await writeFileAtomic(values.out as string, md);
  process.stdout.write(values.json ? JSON.stringify({ ...report, diagnostics: run.diagnostics }) + '\n' : md);
  return run.diagnostics.length > 0 ? 1 : 0;
}

/** `--traits` for fit: lexical (default without ratings), judge, judge16, all (default with ratings), or ids. */
export function traitSelection(spec: string | undefined, haveRatings: boolean, usage: (message: string) => Error): readonly string[] | undefined {
  const s = spec ?? (haveRatings ? 'all' : undefined);
  if (s === undefined || s === 'lexical') return s === undefined ? undefined : TRAIT_IDS;
  const needRatings = (ids: readonly string[]) => {
    if (!haveRatings && ids.some((id) => featureIndex(id) >= TRAIT_IDS.length)) throw usage('judge traits need ratings: pass --judge-ratings FILE (from styletune judge)');
    return ids;
  };
  if (s === 'judge') return needRatings(JUDGE_TRAIT_IDS);
  if (s === 'judge16') return needRatings(HAL16.map(judgeTraitId));
  if (s === 'all') return needRatings([...TRAIT_IDS, ...JUDGE_TRAIT_IDS]);
  const ids = s.split(',').map((x) => x.trim());
  const unknown = ids.filter((id) => featureIndex(id) < 0);
  if (unknown.length > 0) throw usage(`--traits: unknown trait ${unknown.join(', ')} (see styletune traits --judge)`);
  return needRatings(ids);
}

export async function loadRatingsForCli(files: string[] | undefined): Promise<RatingsTable | undefined> {
  if (!files || files.length === 0) return undefined;
  const table = await RatingsTable.load(files);
  for (const d of table.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  return table;
}

/** `--local-model`: the worker's `judge` command writes the ratings file; its events become diagnostics. */
async function runLocalJudge(values: Values, file: string): Promise<number> {
  const found = await workerPython('judge', { explicit: values.python as string | undefined, env: process.env, cwd: process.cwd(), stderr: process.stderr });
  if (!found) return 1;
  const { python, repoRoot } = found;
  const args = ['judge', '--model', resolve(values['local-model'] as string), '--input', resolve(file), '--output', resolve(values.out as string), '--role', (values.role as string | undefined) ?? 'assistant'];
  let failed = 0;
  const worker = startWorker(
    { python, args, repoRoot, cwd: process.cwd(), env: process.env },
    {
      onEvent: (e) => {
        if (e.event === 'log' && e.level === 'warning') {
          failed++;
          process.stderr.write(`${printable(e.message.replace(resolve(file), file))}\n`);
        }
        if (e.event === 'done') process.stderr.write(`rated ${counted(Number(e.metrics.rated), 'conversation')} with ${String(values['local-model'])}; wrote ${String(values.out)}\n`);
      },
    },
  );
  const r = await worker.result;
  if (r.outcome !== 'done') {
    process.stderr.write(`styletune judge: ${r.message}\n`);
    return 1;
  }
  return failed > 0 ? 1 : 0;
}
