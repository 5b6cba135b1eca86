/**
 * `styletune votes report|merge`: the blind vote files (src/core/votes) from the command line.
 * Exit code: 0, 1 when a file had bad lines (everything valid is still used), 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import { RewardModel } from '../core/reward/model';
import { formatDiagnostic, type Diagnostic } from '../core/types';
import { loadItems, type LoadedItems } from '../core/votes/items';
import { forEachVote, mergeVotes, readVotes, writeVotes } from '../core/votes/records';
import { formatReport, VoteTally, type ReportInputs } from '../core/votes/report';
import { scoreItems } from '../core/votes/rewards';

export const VOTES_HELP = `Usage: styletune votes report VOTES.jsonl... [--items ITEMS.jsonl]... [--model M.onnx] [--role ROLE] [--json]
       styletune votes merge VOTES.jsonl... --out MERGED.jsonl

Blind A/B votes ("StyleTune: Blind Human-likeness Vote" writes them, one JSON line per vote).

report   selection rate per system (a tie counts half) with a 95 % Wilson interval, per-prompt
         breakdown, Bradley-Terry/Elo ratings for three systems or more, and, with --items, how often
         the reward model's higher-scored response is the one the voters picked (ties left out).
         Several votes files (one per annotator) are read as one; the latest vote per annotator and
         comparison counts.
merge    writes all votes into one file (atomically), one per annotator and comparison, by time.

Options:
  --items FILE    the items voted on: {"id", "prompt", "responses": {system: text}} lines, or the
                  trainer's generate output (repeat for several files: the same files as voted on,
                  since with two or more, systems are named <file name>/<source>)
  --model M.onnx  reward model for the agreement (default: the shipped one)
  --role ROLE     whose turns the model scores (default: the model's)
  --json          the report as one JSON object
  --out FILE      merge: where to write`;

export interface VotesIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** The shipped model's path (main.ts knows where the bundle finds it). */
  defaultModel: () => string;
}

export class VotesUsageError extends Error {}

export async function runVotes(argv: string[], io: VotesIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(VOTES_HELP + '\n');
    return 0;
  }
  let parsed: { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        items: { type: 'string', multiple: true },
        model: { type: 'string' },
        role: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new VotesUsageError(`${(err as Error).message}\n\n${VOTES_HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(VOTES_HELP + '\n');
    return 0;
  }
  if (sub !== 'report' && sub !== 'merge') throw new VotesUsageError(`unknown votes command '${sub}' (report or merge)\n\n${VOTES_HELP}`);
  if (positionals.length === 0) throw new VotesUsageError(`votes ${sub} needs at least one votes file\n\n${VOTES_HELP}`);
  // Counted, not kept: a file of a million bad lines must not fill the memory with their diagnostics.
  let errors = 0;
  const report = (ds: Diagnostic[]) => {
    for (const d of ds) {
      io.stderr.write(formatDiagnostic(d) + '\n');
      if (d.severity === 'error') errors++;
    }
  };

  if (sub === 'merge') {
    const out = values.out as string | undefined;
    if (!out) throw new VotesUsageError(`votes merge needs --out FILE\n\n${VOTES_HELP}`);
    if (values.items || values.model || values.json) throw new VotesUsageError('votes merge takes only votes files and --out');
    const read = await readVotes(positionals);
    report(read.diagnostics);
    const merged = mergeVotes(read.votes);
    await writeVotes(out, merged);
    io.stdout.write(`Wrote ${merged.length} vote${merged.length === 1 ? '' : 's'} to ${out} (${read.votes.length - merged.length} older duplicate${read.votes.length - merged.length === 1 ? '' : 's'} dropped)\n`);
    return errors ? 1 : 0;
  }

  if (values.out) throw new VotesUsageError('--out is for votes merge');
  const itemFiles = (values.items as string[] | undefined) ?? [];
  if (!itemFiles.length && (values.model || values.role)) throw new VotesUsageError('--model and --role need --items (the responses to score)');
  // Items first, so the votes can stream through the tally: millions of votes are never held as a list.
  let items: LoadedItems | undefined;
  let rewards: ReportInputs['rewards'];
  if (itemFiles.length) {
    items = await loadItems(itemFiles);
    report(items.diagnostics);
    const model = await RewardModel.load((values.model as string | undefined) ?? io.defaultModel());
    try {
      const scored = await scoreItems(items.items, model, { role: values.role as string | undefined });
      for (const p of scored.problems) io.stderr.write(p + '\n');
      rewards = { scores: scored.scores, model: model.summary };
    } finally {
      await model.dispose();
    }
  }
  const tally = new VoteTally(items?.items);
  await forEachVote(positionals, (v) => tally.add(v), (d) => report([d]));
  const r = tally.report(rewards);
  io.stdout.write(values.json ? JSON.stringify(r) + '\n' : formatReport(r));
  return errors ? 1 : 0;
}
