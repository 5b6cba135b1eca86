/**
 * Checklist items answered by a local causal LM through the worker's `checklist` command, for people
 * without a judge endpoint: nothing leaves the machine. All of a run's checks go to one worker run, so
 * the model loads once; an item passes when the model's P(yes) over yes + no is above one half.
 *
 *   const checker = localChecker({ python, repoRoot, modelDir: 'models/judge' });
 *   const run = await runChecklist(checklist, ['base.jsonl', 'tuned.jsonl'], checker);
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startWorker, type WorkerResult } from '../worker/worker';
import type { ChecklistChecker } from './evaluate';

export interface LocalCheckerOptions {
  python: string;
  /** The StyleTune checkout or installed extension that holds trainer/. */
  repoRoot: string;
  modelDir: string;
  cwd?: string;
  device?: 'auto' | 'cpu';
  onLog?: (line: string) => void;
  /** The worker has loaded the model and begun (its device, e.g. "cpu"). */
  onStarted?: (device: string) => void;
}

/** Raised when the worker run as a whole fails (no model, no Python packages): no answer can be had. */
export class LocalCheckerError extends Error {
  constructor(readonly result: WorkerResult) {
    super(result.message);
    this.name = 'LocalCheckerError';
  }
}

export function localChecker(o: LocalCheckerOptions): ChecklistChecker & { readonly name: string } {
  return {
    name: `local:${basename(o.modelDir)}`,
    async checkAll(tasks, onAnswer, { signal }) {
      const dir = await mkdtemp(join(tmpdir(), 'styletune-checklist-'));
      try {
        const input = join(dir, 'checks.jsonl');
        const output = join(dir, 'answers.jsonl');
        await writeFile(input, tasks.map((t) => JSON.stringify({ messages: t.messages, role: t.role, statements: t.statements })).join('\n') + '\n');
        const args = ['checklist', '--model', o.modelDir, '--input', input, '--output', output, ...(o.device ? ['--device', o.device] : [])];
        const worker = startWorker(
          { python: o.python, repoRoot: o.repoRoot, cwd: o.cwd, args },
          { onLog: o.onLog, onEvent: (e) => (e.event === 'started' ? o.onStarted?.(e.device) : undefined) },
        );
        const stop = () => void worker.stop(5_000);
        signal?.addEventListener('abort', stop, { once: true });
        let result: WorkerResult;
        try {
          result = await worker.result;
        } finally {
          signal?.removeEventListener('abort', stop);
        }
        if (signal?.aborted) return;
        if (result.outcome !== 'done') throw new LocalCheckerError(result);
        // One answer line per request line, in order (the worker numbers them from 1).
        const answered = new Set<number>();
        for (const text of (await readFile(output, 'utf8')).split('\n').filter(Boolean)) {
          const a = JSON.parse(text) as { line: number; answers?: boolean[]; error?: string };
          const i = a.line - 1;
          if (i < 0 || i >= tasks.length || answered.has(i)) continue;
          answered.add(i);
          if (Array.isArray(a.answers) && a.answers.length === tasks[i].statements.length) onAnswer(i, a.answers);
          else onAnswer(i, new Error(a.error ?? 'the local judge gave no answer'));
        }
        // A run stopped early answers only some: the rest are reported, never counted as passes or fails.
        tasks.forEach((_, i) => answered.has(i) || onAnswer(i, new Error('the local judge stopped before this one')));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
