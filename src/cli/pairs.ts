/**
 * `styletune pairs ranked|contrast`: build DPO preference pairs with the reward (src/core/pairs).
 * Progress goes to stderr, the summary to stderr (or stdout with --json); the pairs file is written
 * atomically once the run is complete, so Ctrl-C (exit code 130) leaves no partial file behind.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONTRAST_MAX_NEW_TOKENS, DEFAULT_MARGIN, formatContrastSummary } from '../core/pairs/contrast';
import { DEFAULT_MAX_NEW_TOKENS } from '../core/pairs/generate';
import { PairsInputError } from '../core/pairs/candidates';
import { writeJsonlAtomic } from '../core/pairs/ranked';
import { runContrast, runRanked, type Generation, type Stage } from '../core/pairs/run';
import { formatRankedSummary, type Rule } from '../core/pairs/select';
import { RewardModel } from '../core/reward/model';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../core/score';
import { formatDiagnostic, printable, type Diagnostic } from '../core/types';
import { defaultModel, EXIT, numberOption, parseCommand, runCommand, UsageError, usageFor, workerPython, writeHelp, type OptionSpecs, type Values } from './command';
import { counted } from '../core/counted';

const GENERATION_HELP = `Generation (FILE then holds prompts: {"prompt": …} or {"messages": […]} per line):
  --model-dir DIR        local model folder (Hugging Face layout) that answers the prompts
  --adapter DIR          a LoRA adapter on top of it (a job's adapter/ folder)
  --max-new-tokens N     default ${DEFAULT_MAX_NEW_TOKENS} (ranked), ${DEFAULT_CONTRAST_MAX_NEW_TOKENS} (contrast: a cut-off answer is dropped)
  --seed N               default 0 (prompt i is sampled with seed + i)
  --temperature T        default 0.8
  --device cpu           force the CPU (default: a GPU when there is one)
  --python PATH          interpreter with the trainer (default: $STYLETUNE_PYTHON, else .venv/)`;

export const PAIRS_HELP: Record<string, string> = {
  pairs: `Usage: styletune pairs <ranked|contrast> FILE --out OUT.jsonl [options]

Builds DPO preference pairs (TRL's {prompt, chosen, rejected}) with the reward model:
  ranked     rank several candidates per prompt or persona and pair them (HAL's recipe)
  contrast   casual vs formal answers to the same prompt, kept when the reward agrees (human-like DPO)

Run 'styletune pairs <ranked|contrast> --help' for options.`,
  ranked: `Usage: styletune pairs ranked FILE --out OUT.jsonl [options]

Scores every candidate with the reward and pairs candidates of the same group: by default every two
whose reward gap exceeds 0.5 standard deviations of their group's scores (HAL), or best vs worst.
Writes TRL pair lines with chosen_score, rejected_score, gap, and where they came from
(group, chosen_line, rejected_line, chosen_index, rejected_index).

FILE lines (without --model-dir):
  {"prompt"?, "responses": [a, b, …]}   candidates of one line (a group of their own without --group-by)
  {"prompt", "response": a}             one candidate a line (or "text"), grouped by prompt or --group-by
  {"messages": […], "dialogue_id": …}   whole dialogues, grouped by --group-by (e.g. per persona)

Options:
  --out OUT.jsonl        where to write the pairs (required; written when the run completes)
  --k K                  gap threshold in standard deviations (default 0.5)
  --sd-scope group|all   SD within each group (default) or over all candidates (HAL's notebook)
  --best-worst           one pair per group: the best against the worst candidate
  --group-by F[,F]       top-level field(s) whose values form a group, e.g. dialogue_id
  --max-per-group N      keep only the N widest-gap pairs of each group
  --model M.onnx         reward model (default: the shipped ${DEFAULT_MODEL_RELATIVE_PATH})
  --role ROLE            whose turns are scored (default: the model's, usually assistant)
  --json                 print the summary as JSON on stdout
  --num-samples N        with --model-dir: candidates per prompt (default 4)
  --system-prompt TEXT   with --model-dir: system prompt for generation
  --candidates FILE      with --model-dir: also write the candidates, one line per prompt
                         ({prompt, responses, scores, line}: label them by hand, or rank them again)

${GENERATION_HELP}`,
  contrast: `Usage: styletune pairs contrast FILE --out OUT.jsonl [options]

With --model-dir, the model answers each prompt of FILE twice, under a casual, human-like system prompt
and under a formal one; the casual answer becomes chosen, the formal one rejected. Without it, FILE
already holds such pairs ({prompt, chosen: casual, rejected: formal}) and is only filtered.
A pair is kept when reward(casual) − reward(formal) ≥ the margin; the summary counts the dropped ones
by reason (empty answer, answer cut off at max_new_tokens, reward disagreed, gap below the margin).

Options:
  --out OUT.jsonl                 where to write the kept pairs (required)
  --margin M                      reward units (default ${DEFAULT_MARGIN}; 0 keeps every pair the reward agrees with)
  --dropped FILE.jsonl            also write the dropped pairs with their reason
  --casual-system-prompt TEXT     replaces the default casual system prompt
  --formal-system-prompt TEXT     replaces the default formal system prompt
  --allow-truncated               keep pairs whose answers stopped at max_new_tokens
  --model M.onnx                  reward model (default: the shipped ${DEFAULT_MODEL_RELATIVE_PATH})
  --role ROLE                     whose turns are scored (default: the model's, usually assistant)
  --json                          print the summary as JSON on stdout

${GENERATION_HELP}`,
};

export interface PairsIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ctrl-C cancels (off in tests, which pass `signal`). */
  handleSignals: boolean;
  signal?: AbortSignal;
}

export async function runPairs(argv: string[], io: Partial<PairsIO> = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const [sub, ...rest] = argv;
  return runCommand('styletune pairs', err, async () => {
    if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') return writeHelp(out, PAIRS_HELP.pairs);
    if (sub !== 'ranked' && sub !== 'contrast') throw usageFor(PAIRS_HELP.pairs)(`unknown pairs command '${sub}'`);
    return await pairsCommand(sub, rest, { stdout: out, stderr: err, env: io.env ?? process.env, cwd: io.cwd ?? process.cwd(), handleSignals: io.handleSignals ?? true, signal: io.signal });
  }, (e) => {
    // A file that cannot be used is a usage mistake too, without the help; anything else failed the run.
    err.write(`styletune pairs: ${e instanceof PairsInputError ? printable(e.message) : e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof PairsInputError ? EXIT.usage : EXIT.failed;
  });
}

async function pairsCommand(sub: 'ranked' | 'contrast', argv: string[], io: PairsIO): Promise<number> {
  const usage = usageFor(PAIRS_HELP[sub]);
  const common: OptionSpecs = {
    out: { type: 'string' }, model: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' },
    'model-dir': { type: 'string' }, adapter: { type: 'string' }, 'max-new-tokens': { type: 'string' }, seed: { type: 'string' },
    temperature: { type: 'string' }, device: { type: 'string' }, python: { type: 'string' },
  };
  const own: OptionSpecs = sub === 'ranked'
    ? { k: { type: 'string' }, 'sd-scope': { type: 'string' }, 'best-worst': { type: 'boolean' }, 'group-by': { type: 'string' }, 'max-per-group': { type: 'string' }, 'num-samples': { type: 'string' }, 'system-prompt': { type: 'string' }, candidates: { type: 'string' } }
    : { margin: { type: 'string' }, dropped: { type: 'string' }, 'casual-system-prompt': { type: 'string' }, 'formal-system-prompt': { type: 'string' }, 'allow-truncated': { type: 'boolean' } };
  const { values, positionals } = parseCommand(argv, { ...common, ...own }, PAIRS_HELP[sub]);
  if (values.help) return writeHelp(io.stdout, PAIRS_HELP[sub]);
  if (positionals.length !== 1) throw usage(`${sub} takes one input file`);
  const file = resolve(io.cwd, positionals[0]);
  if (!existsSync(file)) throw usage(`input file not found: ${file}`);
  if (typeof values.out !== 'string') throw usage(`${sub} needs --out OUT.jsonl`);
  const output = resolve(io.cwd, values.out);
  const dropped = typeof values.dropped === 'string' ? resolve(io.cwd, values.dropped) : undefined;
  const candidatesOut = typeof values.candidates === 'string' ? resolve(io.cwd, values.candidates) : undefined;
  for (const target of [output, dropped, candidatesOut]) {
    if (!target) continue;
    if (target === file) throw usage(`--out/--dropped must not overwrite the input file ${file}`);
    if (!isDir(dirname(target))) throw usage(`the folder for ${target} does not exist`);
  }
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const num = (name: string, check: (n: number) => boolean, what: string) => numberOption(values, name, check, what, usage);
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  const generationWithout = ['adapter', 'max-new-tokens', 'seed', 'temperature', 'device', 'python', 'num-samples', 'system-prompt', 'candidates', 'casual-system-prompt', 'formal-system-prompt', 'allow-truncated'].filter((k) => values[k] !== undefined);
  if (!values['model-dir'] && generationWithout.length) throw usage(`--${generationWithout[0]} needs --model-dir (generation)`);

  // Every option is checked before the model loads and anything runs (a generation run can take hours).
  const rule = sub === 'ranked' ? rankedRule(values, num, usage) : undefined;
  const groupBy = str('group-by')?.split(',').map((f) => f.trim()).filter(Boolean);
  if (str('group-by') !== undefined && !groupBy?.length) throw usage('--group-by needs at least one field name');
  if (values['model-dir'] && groupBy) throw usage('--group-by applies to candidates from a file; generated candidates are grouped by prompt');
  const numSamples = num('num-samples', (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2');
  const maxPerGroup = num('max-per-group', whole, 'a whole number ≥ 1');
  const margin = num('margin', (n) => n >= 0, 'a number ≥ 0') ?? DEFAULT_MARGIN;

  let generation: Generation | undefined;
  if (typeof values['model-dir'] === 'string') {
    const modelDir = resolve(io.cwd, values['model-dir']);
    if (!isDir(modelDir)) throw usage(`--model-dir is not a folder: ${modelDir}`);
    const found = await workerPython('pairs', { explicit: str('python'), env: io.env, cwd: io.cwd, stderr: io.stderr });
    if (!found) return EXIT.failed;
    const { python, repoRoot } = found;
    generation = {
      python, repoRoot, model: modelDir, env: io.env,
      adapter: str('adapter') && resolve(io.cwd, str('adapter')!),
      maxNewTokens: num('max-new-tokens', whole, 'a whole number ≥ 1'),
      seed: num('seed', Number.isInteger, 'a whole number'),
      temperature: num('temperature', (n) => n > 0, 'a positive number'),
      device: str('device'),
    };
  }

  const model = await RewardModel.load(str('model') ? resolve(io.cwd, str('model')!) : defaultModel());
  const abort = new AbortController();
  io.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const onSignal = () => {
    if (abort.signal.aborted) return;
    io.stderr.write('\nstopping… (nothing will be written)\n');
    abort.abort();
  };
  if (io.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const progress = progressPrinter(io.stderr);
  try {
    const callbacks = { signal: abort.signal, onProgress: progress.update, onLog: (l: string) => progress.log(l) };
    if (sub === 'ranked') {
      if (generation) {
        generation.numSamples = numSamples ?? 4;
        generation.systemPrompt = str('system-prompt');
      }
      const r = await runRanked({ file, groupBy, generation, rule: rule!, maxPerGroup, model, role: str('role') }, callbacks);
      progress.done();
      if (r.stopped) return cancelled(io);
      await writeJsonlAtomic(output, r.pairs);
      if (candidatesOut) await writeJsonlAtomic(candidatesOut, r.generated ?? []);
      const wrote = `Wrote ${output}${candidatesOut ? ` and the candidates to ${candidatesOut}` : ''}`;
      report(io, r.diagnostics, values.json ? { output, candidates_output: candidatesOut, ...r.summary } : undefined, [...formatRankedSummary(r.summary), wrote]);
      return r.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
    }
    const contrastGeneration = generation && { ...generation, casualSystemPrompt: str('casual-system-prompt'), formalSystemPrompt: str('formal-system-prompt') };
    const r = await runContrast({ file, margin, allowTruncated: values['allow-truncated'] === true, generation: contrastGeneration, model, role: str('role') }, callbacks);
    progress.done();
    if (r.stopped) return cancelled(io);
    await writeJsonlAtomic(output, r.pairs);
    if (dropped) await writeJsonlAtomic(dropped, r.dropped);
    const lines = [...formatContrastSummary(r.summary), `Wrote ${output}${dropped ? ` and ${dropped}` : ''}`];
    report(io, r.diagnostics, values.json ? { output, dropped_output: dropped, ...r.summary } : undefined, lines);
    return r.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  } finally {
    progress.done();
    if (io.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await model.dispose();
  }
}

function rankedRule(values: Values, num: (name: string, check: (n: number) => boolean, what: string) => number | undefined, usage: (message: string) => UsageError): Rule {
  const k = num('k', (n) => n >= 0, 'a number ≥ 0');
  const scope = values['sd-scope'];
  if (scope !== undefined && scope !== 'group' && scope !== 'all') throw usage(`--sd-scope must be group or all, got ${String(scope)}`);
  if (values['best-worst']) {
    if (k !== undefined || scope !== undefined) throw usage('--best-worst cannot be combined with --k or --sd-scope');
    return { kind: 'best-worst' };
  }
  return { kind: 'sd', k: k ?? 0.5, scope: (scope as 'group' | 'all' | undefined) ?? 'group' };
}

function report(io: PairsIO, diagnostics: Diagnostic[], json: object | undefined, lines: string[]): void {
  const shown = 50;
  for (const d of diagnostics.slice(0, shown)) io.stderr.write(formatDiagnostic(d) + '\n');
  if (diagnostics.length > shown) io.stderr.write(`… and ${counted(diagnostics.length - shown, 'more problem')}\n`);
  if (diagnostics.length) io.stderr.write(`${counted(diagnostics.length, 'line')} with problems ${diagnostics.length === 1 ? 'was' : 'were'} left out\n`);
  if (json) io.stdout.write(JSON.stringify({ ...json, problems: diagnostics.length }) + '\n');
  else io.stderr.write(lines.join('\n') + '\n');
}

function cancelled(io: PairsIO): number {
  io.stderr.write('styletune pairs: cancelled; nothing was written\n');
  return EXIT.cancelled;
}

const STAGE_WORDS: Record<Stage, string> = { reading: 'reading', generating: 'generating answers', scoring: 'scoring' };

/** One progress line on a terminal (rewritten in place), otherwise a line every few seconds. */
function progressPrinter(stderr: PairsIO['stderr']) {
  let last = 0;
  let lastStage: Stage | undefined;
  let open = false;
  const tty = stderr.isTTY === true;
  return {
    update(stage: Stage, done: number, total: number): void {
      const now = Date.now();
      const final = total > 0 && done === total;
      if (stage === lastStage && !final && now - last < (tty ? 200 : 5000)) return;
      last = now;
      lastStage = stage;
      const text = total > 0 ? `${STAGE_WORDS[stage]} ${done}/${total}` : `${STAGE_WORDS[stage]}…`;
      if (tty) {
        stderr.write(`\r\x1b[K${text}`);
        open = true;
      } else stderr.write(text + '\n');
    },
    log(line: string): void {
      if (open) stderr.write('\n');
      open = false;
      stderr.write(line + '\n');
    },
    done(): void {
      if (open) stderr.write('\n');
      open = false;
    },
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
