/**
 * `styletune tune JOB.json [--python PATH]`: runs LoRA DPO in the Python worker and streams its events
 * to stdout as JSON lines (trainer/events.schema.json); the worker's log goes to stderr.
 * Exit code: 0 after `done` (also when stopped early by Ctrl-C), 1 on an error or a crash, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describeOutside, pathsOutside } from '../core/jobs/confine';
import { JobFileError, readJobFile } from '../core/jobs/jobFile';
import { probeLine, scoreProbe, type ProbeStep } from '../core/jobs/probe';
import { RewardModel } from '../core/reward/model';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../core/score';
import { printable } from '../core/types';
import type { ProbeEvent } from '../core/worker/events';
import { startWorker } from '../core/worker/worker';
import { EXIT, parseCommand, runCommand, UsageError, usageFor, workerPython, writeHelp, type ParseError } from './command';
import { Output } from './output';

export const TUNE_HELP = `Usage: styletune tune JOB.json [--python PATH]

Trains a LoRA adapter with DPO as the job config says (see trainer/README.md) and prints the
trainer's events as JSON lines: started, progress, eval, probe, checkpoint, log, done or error.
With probe_prompts in the job, each probe's replies are scored with the reward model and one line per
probe step goes to stderr: the mean reward and reply length and what moved most since step 0.
Ctrl-C stops after the current step, saving a checkpoint and a usable adapter; running the same
command again resumes from the last checkpoint.

Options:
  --python PATH     Python interpreter with the trainer installed
                    (default: $STYLETUNE_PYTHON, else .venv/ made by scripts/setup-python.sh)
  --model M.onnx    reward model that scores the style probe's replies
                    (default: the shipped ${DEFAULT_MODEL_RELATIVE_PATH})
  --allow-outside   let output_dir lie outside the job file's folder and the current folder
                    (refused otherwise: a job file from elsewhere must not write anywhere it likes)
  -h, --help        show this help
`;

export interface TuneIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Forward SIGINT/SIGTERM of this process to the worker (off in tests). */
  handleSignals: boolean;
}

export async function runTune(argv: string[], io: Partial<TuneIO> = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const handleSignals = io.handleSignals ?? true;

  return runCommand('styletune tune', err, async () => {
    const { values, positionals } = parseCommand(argv, { python: { type: 'string' }, model: { type: 'string' }, 'allow-outside': { type: 'boolean' } }, TUNE_HELP, reword);
    if (values.help) return writeHelp(out, TUNE_HELP);
    if (positionals.length === 0) throw usage('missing the job config (JOB.json)');
    if (positionals.length > 1) throw usage(`unexpected argument ${positionals[1]}`);
    return tune(positionals[0], { python: values.python as string | undefined, modelArg: values.model as string | undefined, allowOutside: values['allow-outside'] === true }, { stdout: out, stderr: err, env, cwd, handleSignals });
  });
}

const usage = usageFor(TUNE_HELP);

/** tune's own words for parseArgs' complaints (its tests and users know them). */
function reword(e: ParseError): string {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || /does not take an argument/.test(e.message)) return `unknown option ${option}`;
  if (/argument missing/.test(e.message)) return `${option} needs a path`;
  return e.message;
}

async function tune(job: string, opts: { python?: string; modelArg?: string; allowOutside: boolean }, io: TuneIO): Promise<number> {
  const { stdout: out, stderr: err, env, cwd, handleSignals } = io;
  const { python, modelArg, allowOutside } = opts;
  const jobPath = resolve(cwd, job);
  if (!existsSync(jobPath)) throw new UsageError(`job config not found: ${jobPath}`);
  if (!allowOutside) {
    const outside = writesOutside(jobPath, cwd);
    if (outside) throw new UsageError(`${outside} Pass --allow-outside to write there.`);
  }
  const found = await workerPython('tune', { explicit: python, env, cwd, stderr: err });
  if (!found) return EXIT.failed;
  const { python: interpreter, repoRoot } = found;

  // Through Output when writing to the process's own streams: a paused reader then pauses the worker.
  const paced = (s: TuneIO['stdout']): ((text: string) => void | Promise<void>) => {
    if (!(s instanceof Writable)) return (text) => void s.write(text);
    const o = new Output(s);
    return (text) => o.write(text);
  };
  const event = paced(out);
  const log = paced(err);
  // The style probe's scorer: the model loads at the first probe event; probes are scored in order.
  const modelFile = modelArg ? resolve(cwd, modelArg) : resolve(repoRoot, DEFAULT_MODEL_RELATIVE_PATH);
  let model: Promise<RewardModel> | undefined;
  let probes: Promise<void> = Promise.resolve();
  let base: ProbeStep | undefined;
  const onProbe = (e: ProbeEvent): void => {
    probes = probes.then(async () => {
      try {
        model ??= RewardModel.load(modelFile);
        const scored = await scoreProbe(e, await model);
        if (!base || scored.step <= base.step) base = scored;
        await log(printable(probeLine(scored, base)) + '\n');
      } catch (x) {
        await log(`styletune tune: cannot score the probe at step ${e.step}: ${(x as Error).message}\n`);
      }
    });
  };
  const worker = startWorker(
    { python: interpreter, args: ['dpo', '--config', jobPath], repoRoot, cwd, env },
    {
      onEvent: (e) => {
        if (e.event === 'probe') onProbe(e);
        return event(JSON.stringify(e) + '\n');
      },
      onLog: (line) => log(line + '\n'),
    },
  );
  const onSignal = (): void => {
    // The first Ctrl-C asks for a clean stop; the worker's own handler takes a second one as "now".
    void worker.stop();
  };
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const r = await worker.result;
    await probes;
    if (model) await (await model.catch(() => undefined))?.dispose();
    if (r.outcome === 'done') return EXIT.ok;
    err.write(`styletune tune: ${r.message}\n`);
    return EXIT.failed;
  } finally {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** Why the job's output_dir is refused, or undefined. A file that does not parse is left to the trainer, which reports it first. */
function writesOutside(jobPath: string, cwd: string): string | undefined {
  let job;
  try {
    job = readJobFile(jobPath);
  } catch (e) {
    if (e instanceof JobFileError) return undefined;
    throw e;
  }
  const outside = pathsOutside(job, [cwd]).filter((o) => o.writes);
  return outside.length ? printable(describeOutside(outside, `${dirname(jobPath)} and the current folder`)) : undefined;
}
