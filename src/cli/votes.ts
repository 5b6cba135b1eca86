/**
 * `styletune votes report|merge`: the blind vote files (src/core/votes) from the command line.
 * Exit code: 0, 1 when a file had bad lines (everything valid is still used), 2 on usage errors.
 */
import { RewardModel } from '../core/reward/model';
import { formatDiagnostic, type Diagnostic } from '../core/types';
import { loadItems, type LoadedItems } from '../core/votes/items';
import { forEachVote, mergeVotes, readVotes, writeVotes } from '../core/votes/records';
import { formatReport, VoteTally, type ReportInputs } from '../core/votes/report';
import { scoreItems } from '../core/votes/rewards';
import { parseCommand, UsageError, usageFor, writeHelp } from './command';
import { counted } from '../core/counted';

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

const usage = usageFor(VOTES_HELP);

export async function runVotes(argv: string[], io: VotesIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') return writeHelp(io.stdout, VOTES_HELP);
  const { values, positionals } = parseCommand(rest, {
    items: { type: 'string', multiple: true },
    model: { type: 'string' },
    role: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  }, VOTES_HELP);
  if (values.help) return writeHelp(io.stdout, VOTES_HELP);
  if (sub !== 'report' && sub !== 'merge') throw usage(`unknown votes command '${sub}' (report or merge)`);
  if (positionals.length === 0) throw usage(`votes ${sub} needs at least one votes file`);
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
    if (!out) throw usage(`votes merge needs --out FILE`);
    if (values.items || values.model || values.json) throw new UsageError('votes merge takes only votes files and --out');
    const read = await readVotes(positionals);
    report(read.diagnostics);
    const merged = mergeVotes(read.votes);
    await writeVotes(out, merged);
    io.stdout.write(`Wrote ${counted(merged.length, 'vote')} to ${out} (${counted(read.votes.length - merged.length, 'older duplicate')} dropped)\n`);
    return errors ? 1 : 0;
  }

  if (values.out) throw new UsageError('--out is for votes merge');
  const itemFiles = (values.items as string[] | undefined) ?? [];
  if (!itemFiles.length && (values.model || values.role)) throw new UsageError('--model and --role need --items (the responses to score)');
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
