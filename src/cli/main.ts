/**
 * The `styletune` command line (bundled to dist/cli.js).
 *
 *   styletune score FILE.jsonl [--model M.onnx] [--role assistant]
 *   styletune fit FILE... --out M.onnx [--linear] [--folds 5] [--fold-by FIELD] [--by FIELD]
 *   styletune eval FILE... [--model M.onnx] [--by ai_model]
 *   styletune traits
 *   styletune tune JOB.json
 *   styletune votes report VOTES... [--items ITEMS] [--model M.onnx] [--json] | votes merge VOTES... --out FILE
 *   styletune pairs ranked|contrast FILE --out OUT.jsonl
 *   styletune judge FILE --out RATINGS.jsonl [--endpoint URL --model NAME] | checklist CHECKLIST.yaml DIALOGUES...
 */
import { RewardModel, saveSpec } from '../core/reward/model';
import { DEFAULT_FIT } from '../core/reward/fit';
import { DEFAULT_SHAPE_FIT } from '../core/reward/fitShape';
import { DomainCheck } from '../core/reward/domain';
import { AccuracyTally, collectComparisons, fitReward } from '../core/reward/train';
import { DEFAULT_MODEL_RELATIVE_PATH, lineResultToJsonText, scoreJsonlFile } from '../core/score';
import { TRAITS, type TraitDef } from '../core/traits/catalog';
import { formatDiagnostic, printable, type Diagnostic } from '../core/types';
import { fieldKey } from '../core/fieldKey';
import { CHECKLIST_HELP, JUDGE_HELP, JUDGE_OPTIONS, loadRatingsForCli, runChecklistCommand, runJudgeCommand, traitSelection } from './judge';
import { scoreWithJudgeRatings } from '../core/judge/score';
import { JUDGE_TRAITS } from '../core/judge/traits';
import { defaultModel, numberOption, parseCommand, runCommand, usageFor, usageText, UsageError, writeHelp, type OptionSpecs } from './command';
import { LineOutput, Output } from './output';
import { runPairs } from './pairs';
import { runTune } from './tune';
import { runVotes } from './votes';
import { RoleMisses } from './roleMisses';
import { percent } from '../core/percent';
import { counted } from '../core/counted';

const HELP: Record<string, string> = {
  main: `styletune — measure and tune the human-likeness of dialogue data

Usage: styletune <command> [options]

Commands:
  score FILE.jsonl     score every line with the reward model (JSON lines on stdout)
  fit FILE...          fit a reward model from preference pairs or human/ai pairs
  eval FILE...         pairwise accuracy of a reward model on preference data
  traits               list the traits the engine measures
  tune JOB.json        run a LoRA DPO job in the Python worker, streaming its events as JSON lines
  votes report|merge   blind A/B vote results: selection rates, ratings, reward model agreement
  pairs ranked|contrast  build DPO pairs with the reward: reward-ranked candidates or casual/formal contrast
  judge FILE.jsonl     rate every line on HAL's 32 statements with an LLM judge (OpenAI-compatible endpoint)
  checklist C.yaml F...  apply a checklist with the LLM judge: pass rates per model, group and item

Run 'styletune <command> --help' for a command's options.`,
  score: `Usage: styletune score FILE.jsonl [--model M.onnx] [--role ROLE]

Prints one JSON line per input line, in order:
  dialogue line     {"line", "score", "bias", "traits": {id: value}, "contributions": {id: value}}
  pair line         {"line", "chosen": {...}, "rejected": {...}, "margin"}
  human/ai line     {"line", "human": {...}, "ai": {...}, "margin"}
  candidates line   {"line", "candidates": [{...}, ...], "best", "worst", "spread"[, "ranking"]}
                    (the pair labeler's {"prompt", "responses": [a, b, ...]}, undecided or ranked:
                    every candidate scored; best/worst are candidate numbers, spread = best - worst)
  bad line          {"line", "column", "error"}   (and a diagnostic on stderr)
score = bias + sum of contributions. Exit code 1 if any line was bad; every valid line is still scored.
Lines with no turns by the role scored: the first 10 on stderr, then how many more and the roles the
lines have instead (a file whose speakers are agent_1 and agent_2 needs --role agent_1).
When the file's responses are far from what the model was fitted on (median words per turn outside the
range seen in fitting, or most responses with several traits beyond it), a note on stderr says so once.

Options:
  --model M.onnx    reward model (default: the shipped ${DEFAULT_MODEL_RELATIVE_PATH})
  --role ROLE       whose turns to score in dialogues (default: the model's, usually assistant)
  --judge-ratings FILE   LLM-judge ratings (styletune judge) for a model that weighs judge traits`,
  fit: `Usage: styletune fit FILE... --out M.onnx [options]

Fits a reward from pair lines ({prompt, chosen, rejected}) and human/ai lines ({human, ai}): by default
a smooth shape per trait (a Bradley-Terry additive model: score = bias + sum of f(trait)), with
--linear one weight per trait. Prints cross-validated pairwise accuracy per file (and per --by group)
and what each trait does.

Options:
  --out M.onnx      where to write the model (required)
  --linear          one weight per trait (the model family before shapes) instead of a shape per trait
  --folds N         cross-validation folds (default 5)
  --fold-by FIELDS  fields (comma-separated) whose values keep lines in one fold: lines sharing any
                    value (the same game_id, the same prompt) are never split between training and
                    testing, so a held-out reply was never seen in fitting
  --smoothing X     shapes: penalty on changes of slope between knots (default ${DEFAULT_SHAPE_FIT.smoothing})
  --ridge X         shapes: penalty on slope, pulling every shape toward flat (default ${DEFAULT_SHAPE_FIT.ridge})
  --l1 X --l2 X     --linear: elastic-net strengths (default ${DEFAULT_FIT.l1}, ${DEFAULT_FIT.l2})
  --role ROLE       whose turns to measure (default assistant)
  --by FIELDS       also report accuracy by this field of each line (e.g. ai_model); with several
                    (comma-separated), the first a line has
  --balance MODE    sources (default: each file weighs the same) or none
  --name NAME       a name stored in the model's training summary
  --fitted-on TEXT  plain words on what the data is, stored for out-of-domain warnings (default: the files)
  --json            print the report as JSON
  --judge-ratings FILE   LLM-judge ratings to fit judge traits (judge.hal01…judge.hal32) too: files from
                    styletune judge, or HAL's {game_id, human_ratings, ai_ratings} joined by game_id;
                    repeatable. A line whose sides have no ratings is a diagnostic and is left out.
  --traits SET      lexical, judge, judge16 (HAL's 16), all, or trait ids separated by commas
                    (default: all with --judge-ratings, else lexical)`,
  eval: `Usage: styletune eval FILE... [--model M.onnx] [--by FIELD] [--role ROLE] [--json]

Pairwise accuracy: the share of pair lines where chosen outscores rejected, and of human/ai lines
where the human side outscores the AI side, per file and per value of --by (e.g. ai_model).
A model that weighs LLM-judge traits needs --judge-ratings FILE (as for score).`,
  judge: JUDGE_HELP,
  checklist: CHECKLIST_HELP,
  traits: `Usage: styletune traits [--json] [--judge]

Lists every trait: id, label, range, the HAL statements it approximates, what it measures, and
where the direction is not in doubt, which way it moves the score (a fit keeps that trait's shape so).
--judge adds the LLM-judge traits judge.hal01…judge.hal32 (ratings from styletune judge).`,
};

/** A command's arguments, its usage mistakes followed by its help. */
function parse(argv: string[], options: OptionSpecs, command: string) {
  return parseCommand(argv, options, HELP[command]);
}

/** A usage mistake of `command`, followed by its help. */
function usage(command: string, message: string): UsageError {
  return usageFor(HELP[command])(message);
}

async function score(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { model: { type: 'string' }, role: { type: 'string' }, 'judge-ratings': { type: 'string', multiple: true } }, 'score');
  if (values.help) return help('score');
  if (positionals.length !== 1) throw usage('score', `score takes one file`);
  const model = await RewardModel.load((values.model as string | undefined) ?? defaultModel());
  let bad = 0;
  const out = new LineOutput(new Output(process.stdout));
  const err = new Output(process.stderr);
  const ratings = await loadRatingsForCli(values['judge-ratings'] as string[] | undefined);
  if (model.usesJudge && !ratings) throw new UsageError(`${model.file} weighs LLM-judge ratings: rate the file first (styletune judge FILE --out R.jsonl) and pass --judge-ratings R.jsonl`);
  const results = model.usesJudge ? scoreWithJudgeRatings(positionals[0], model, ratings!, { role: values.role as string | undefined }) : scoreJsonlFile(positionals[0], model, { role: values.role as string | undefined, candidates: true });
  const domain = new DomainCheck(model.traitIds, model.spec.domain);
  const misses = new RoleMisses(true);
  for await (const r of results) {
    if (r.kind === 'diagnostic') {
      bad++;
      if (!r.diagnostic.missingRole || misses.add(r.diagnostic.missingRole)) await err.write(formatDiagnostic(r.diagnostic) + '\n');
    } else domain.addLine(r);
    await out.line(lineResultToJsonText(r));
    if (out.closed) break;
  }
  await out.flush();
  // Once per file, after its lines: stdout stays one JSON line per input line.
  const notice = out.closed ? undefined : domain.verdict()?.notice;
  if (notice) await err.write(`${printable(positionals[0])}: note: ${notice}\n`);
  await model.dispose();
  if (bad > 0) {
    const why = misses.summary(positionals[0]);
    process.stderr.write(`${why ? `${why}\n` : ''}${counted(bad, 'line')} could not be scored\n`);
  }
  return bad > 0 ? 1 : 0;
}

async function fit(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      out: { type: 'string' },
      linear: { type: 'boolean' },
      folds: { type: 'string' },
      'fold-by': { type: 'string' },
      smoothing: { type: 'string' },
      ridge: { type: 'string' },
      l1: { type: 'string' },
      l2: { type: 'string' },
      role: { type: 'string' },
      by: { type: 'string' },
      balance: { type: 'string' },
      name: { type: 'string' },
      'fitted-on': { type: 'string' },
      json: { type: 'boolean' },
      'judge-ratings': { type: 'string', multiple: true },
      traits: { type: 'string' },
    },
    'fit',
  );
  if (values.help) return help('fit');
  if (positionals.length === 0) throw usage('fit', `fit needs at least one file`);
  if (!values.out) throw usage('fit', `fit needs --out M.onnx`);
  const num = (name: string) => numberOption(values, name, (n) => n >= 0, 'a non-negative number', (m) => new UsageError(m), { blankIsZero: true });
  const balance = values.balance as string | undefined;
  if (balance !== undefined && balance !== 'sources' && balance !== 'none') throw new UsageError(`--balance must be sources or none`);
  // Options are checked before the (possibly long) measuring pass over the data.
  const folds = num('folds');
  if (folds !== undefined && (!Number.isInteger(folds) || folds < 2)) throw new UsageError(`--folds must be a whole number of at least 2, got ${String(values.folds)}`);
  const linear = values.linear === true;
  for (const [name, forLinear] of [['l1', true], ['l2', true], ['smoothing', false], ['ridge', false]] as const) {
    if (values[name] !== undefined && forLinear !== linear) throw usage('fit', `--${name} applies to ${forLinear ? 'linear models (--linear)' : 'shapes (without --linear)'}`);
  }
  const fields = (v: unknown) => (typeof v === 'string' ? v.split(',').map((f) => f.trim()).filter((f) => f !== '') : undefined);
  const role = values.role as string | undefined;
  const judgeRatings = await loadRatingsForCli(values['judge-ratings'] as string[] | undefined);
  const traitIds = traitSelection(values.traits as string | undefined, judgeRatings !== undefined, (m) => usage('fit', m));
  const data = await collectComparisons(positionals, { role, by: fields(values.by), foldBy: fields(values['fold-by']), judgeRatings });
  for (const d of data.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  if (data.skippedDialogues > 0) {
    process.stderr.write(`${counted(data.skippedDialogues, 'dialogue line carries', 'dialogue lines carry')} no preference and ${data.skippedDialogues === 1 ? 'was' : 'were'} not used for fitting\n`);
  }
  const comparisons = data.table.n;
  const { spec, report } = fitReward(data, {
    family: linear ? 'linear' : 'shape',
    folds,
    l1: num('l1'),
    l2: num('l2'),
    smoothing: num('smoothing'),
    ridge: num('ridge'),
    role,
    balance: balance as 'sources' | 'none' | undefined,
    name: values.name as string | undefined,
    fittedOn: values['fitted-on'] as string | undefined,
    traits: traitIds,
  });
  await saveSpec(spec, values.out as string);
  if (values.json) {
    process.stdout.write(JSON.stringify({ model: values.out, comparisons, ...report }) + '\n');
  } else {
    const folding = report.groupedFolds ? `, folds grouped by ${String(values['fold-by'])}` : '';
    const lines = [`Fitted on ${comparisons} comparisons; ${report.folds}-fold cross-validated pairwise accuracy${folding}:`];
    for (const row of report.crossValidated) lines.push(`  ${printable(row.key).padEnd(44)} ${percent(row.accuracy).padStart(7)}  (n=${row.n})`);
    lines.push(
      '',
      report.family === 'linear'
        ? 'Weights (per standard deviation of the trait; + means more human-like):'
        : 'Shapes (weight of evidence: the spread of the trait\'s contribution over the fitting data, signed by its trend; the curve from low to high trait values):',
    );
    for (const w of [...report.weights].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))) {
      lines.push(`  ${w.id.padEnd(24)} ${w.weight >= 0 ? '+' : '-'}${Math.abs(w.weight).toFixed(3)}  ${w.shape ? `${sparkline(w.shape.f)}  ` : ''}${w.label}`);
    }
    lines.push('', `Wrote ${values.out}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return data.diagnostics.length > 0 || (judgeRatings?.diagnostics.length ?? 0) > 0 ? 1 : 0;
}

/** A shape's values at its knots as block characters, low to high (flat: a row of the middle block). */
function sparkline(values: readonly number[]): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => blocks[hi - lo < 1e-9 ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)]).join('').padEnd(13);
}

async function evaluate(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { model: { type: 'string' }, by: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' }, 'judge-ratings': { type: 'string', multiple: true } }, 'eval');
  if (values.help) return help('eval');
  if (positionals.length === 0) throw usage('eval', `eval needs at least one file`);
  const model = await RewardModel.load((values.model as string | undefined) ?? defaultModel());
  const by = values.by as string | undefined;
  const ratings = await loadRatingsForCli(values['judge-ratings'] as string[] | undefined);
  const tally = new AccuracyTally();
  const err = new Output(process.stderr);
  let bad = 0;
  // Dialogue lines say nothing about which side should win: counted and said once, not errors.
  let dialogues = 0;
  for (const file of positionals) {
    const misses = new RoleMisses();
    // The breakdown field lives in the raw line, so read records alongside the scores.
    const groups = by ? await fieldValues(file, by) : undefined;
    const role = values.role as string | undefined;
    for await (const r of model.usesJudge && ratings ? scoreWithJudgeRatings(file, model, ratings, { role }) : scoreJsonlFile(file, model, { role })) {
      const g = groups?.get(r.line);
      if (r.kind === 'dialogue' || (r.kind === 'diagnostic' && r.diagnostic.missingRole?.dialogue)) {
        dialogues++;
        continue;
      }
      const problem = r.kind === 'diagnostic' ? r.diagnostic : typeof g === 'object' ? g : undefined;
      if (problem) {
        bad++;
        if (!problem.missingRole || misses.add(problem.missingRole)) await err.write(formatDiagnostic(problem) + '\n');
        continue;
      }
      // Only decided pairs say which side should win (candidates stay diagnostics here: no `candidates` option).
      if (r.kind === 'candidates' || r.kind === 'diagnostic') continue;
      const right = r.result.margin > 0 ? 1 : r.result.margin === 0 ? 0.5 : 0;
      tally.add('all', right);
      tally.add(file, right);
      if (g !== undefined) tally.add(`${file} ${by}=${g}`, right);
    }
    const why = misses.summary(file);
    if (why) await err.write(why + '\n');
  }
  if (dialogues > 0) await err.write(`${counted(dialogues, 'dialogue line carries', 'dialogue lines carry')} no preference and ${dialogues === 1 ? 'was' : 'were'} not counted\n`);
  await model.dispose();
  const rows = tally.rows();
  if (values.json) process.stdout.write(JSON.stringify({ model: model.file, accuracy: rows }) + '\n');
  else {
    process.stdout.write(`Pairwise accuracy of ${model.summary}:\n`);
    for (const r of rows) process.stdout.write(`  ${printable(r.key).padEnd(60)} ${percent(r.accuracy).padStart(7)}  (n=${r.n})\n`);
    if (rows.length === 0) process.stdout.write('  no pair or human/ai lines found\n');
  }
  return bad > 0 ? 1 : 0;
}

/** Each line's group by `field`, or the diagnostic for a value that cannot be one. */
async function fieldValues(file: string, field: string): Promise<Map<number, string | Diagnostic>> {
  const { readRecords } = await import('../core/formats');
  const m = new Map<number, string | Diagnostic>();
  for await (const item of readRecords(file)) {
    if (!('record' in item)) continue;
    const k = fieldKey(field, item.record.raw[field]);
    if (k !== undefined) m.set(item.line, typeof k === 'string' ? k : { file, line: item.line, column: 1, severity: 'error', message: k.error });
  }
  return m;
}

function traits(argv: string[]): number {
  const { values } = parse(argv, { json: { type: 'boolean' }, judge: { type: 'boolean' } }, 'traits');
  if (values.help) return help('traits');
  if (values.json) {
    process.stdout.write(JSON.stringify([...TRAITS.map(({ compute: _c, ...t }) => t), ...(values.judge ? JUDGE_TRAITS : [])]) + '\n');
  } else {
    for (const t of [...TRAITS, ...(values.judge ? JUDGE_TRAITS : [])]) {
      process.stdout.write(`${t.id.padEnd(24)} ${t.label} [${t.range[0]}, ${t.range[1]}] HAL ${t.hal.join(',')}\n  ${t.description}\n`);
      const direction = 'direction' in t ? (t as TraitDef).direction : undefined;
      if (direction) process.stdout.write(`  More of it can only ${direction.sign < 0 ? 'lower' : 'raise'} the score: ${direction.why}\n`);
    }
  }
  return 0;
}

function help(command: string): number {
  return writeHelp(process.stdout, HELP[command]);
}

/** Runs a command; a usage mistake is written here (exit 2), anything else is left to the caller. */
export function main(argv: string[]): Promise<number> {
  return runCommand('styletune', process.stderr, () => dispatch(argv));
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'score':
      return score(rest);
    case 'fit':
      return fit(rest);
    case 'eval':
      return evaluate(rest);
    case 'traits':
      return traits(rest);
    case 'tune':
      return runTune(rest);
    case 'votes':
      return runVotes(rest, { stdout: process.stdout, stderr: process.stderr, defaultModel });
    case 'pairs':
      return runPairs(rest);
    case 'judge':
    case 'checklist': {
      const opts = command === 'judge' ? { ...JUDGE_OPTIONS, out: { type: 'string' as const }, 'local-model': { type: 'string' as const }, python: { type: 'string' as const } } : { ...JUDGE_OPTIONS, out: { type: 'string' as const }, json: { type: 'boolean' as const }, compare: { type: 'string' as const }, 'local-model': { type: 'string' as const }, python: { type: 'string' as const } };
      const { values, positionals } = parse(rest, opts, command);
      if (values.help) return help(command);
      const mistake = usageFor(HELP[command]);
      return command === 'judge' ? runJudgeCommand(values, positionals, mistake) : runChecklistCommand(values, positionals, mistake);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      return help('main');
    default:
      throw usage('main', `unknown command '${command}'`);
  }
}

if (require.main === module) {
  // A reader that left (`| head`) is not our failure; unheard, its EPIPE would end us with a stack trace.
  // Any other write error (a full disk behind `> out.jsonl`) is: the output is incomplete.
  let lostOutput = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') return;
      lostOutput = true;
      if (stream === process.stdout) process.stderr.write(`styletune: cannot write the output: ${err.message}\n`);
    });
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = lostOutput ? 1 : code;
    },
    (err: unknown) => {
      // A usage mistake thrown past main (not expected) keeps its exit code 2.
      process.stderr.write(err instanceof UsageError ? usageText('styletune', err) : `styletune: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
