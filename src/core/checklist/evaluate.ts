/**
 * Applying a checklist to dialogue files with the judge (an endpoint, or a local model: local.ts), and
 * the pass rates that come out.
 *
 * Each dialogue is one check with every item that applies to it (the pattern groups, plus the
 * scenario groups of its scenario): one call to an endpoint judge, one request in the local model's run. Rates are per model: a dialogue line's model is its `modelField`
 * (default `model`), else its file's name; pair and human/ai lines count their sides as models
 * (`chosen`/`rejected`, `human`/`ai`). A failed judge call is a per-line diagnostic and counts nowhere.
 *
 *   item pass rate   passes / dialogues the item applied to
 *   group pass rate  Σ weight·pass / Σ weight over the group's items and those dialogues (weighted)
 *   overall          the same over every item
 */
import { basename } from 'node:path';
import { readRecords } from '../formats';
import type { Judge } from '../judge/judge';
import { recordSides } from '../judge/ratings';
import type { Diagnostic, Message } from '../types';
import type { Checklist } from './checklist';
import { percent } from '../percent';

/** One judge answer: item `item` of group `group` for one dialogue of `model`. */
export interface Observation {
  model: string;
  group: number;
  item: number;
  passed: boolean;
}

export interface ChecklistRun {
  observations: Observation[];
  /** Dialogues checked per model (at least one item applied and the judge answered). */
  dialogues: Map<string, number>;
  /** Dialogues the judge failed on, per model. */
  failed: Map<string, number>;
  diagnostics: Diagnostic[];
  /** Models in the order they first appear in the input (answers arrive in any order). */
  models: string[];
}

export interface ChecklistRunOptions {
  role?: string;
  signal?: AbortSignal;
  /** Judge calls in flight at once (an endpoint judge). */
  parallel?: number;
  onProgress?: (dialoguesDone: number) => void;
}

/** One conversation to check (a dialogue, or one side of a pair) with the items that apply to it. */
export interface CheckTask {
  messages: Message[];
  role: string;
  statements: string[];
}

/**
 * Answers many checks at once, calling `onAnswer` for each task as its answer (or failure) arrives, in
 * any order. The endpoint judge answers task by task (judgeChecker); the local model in the worker
 * answers them all in one run, so the model loads once (local.ts).
 */
export interface ChecklistChecker {
  checkAll(tasks: readonly CheckTask[], onAnswer: (task: number, answer: boolean[] | Error) => void, opts: { signal?: AbortSignal; parallel: number }): Promise<void>;
}

/** The endpoint judge (cached answers) as a ChecklistChecker: `parallel` calls in flight. */
export function judgeChecker(judge: Judge): ChecklistChecker {
  return {
    async checkAll(tasks, onAnswer, { signal, parallel }) {
      const pending = new Set<Promise<void>>();
      for (const [i, t] of tasks.entries()) {
        if (signal?.aborted) break;
        const call = judge.check(t.messages, t.role, t.statements, signal).then(
          ({ answers }) => onAnswer(i, answers),
          (err: unknown) => onAnswer(i, err instanceof Error ? err : new Error(String(err))),
        );
        const task = call.finally(() => pending.delete(task));
        pending.add(task);
        if (pending.size >= parallel) await Promise.race(pending);
      }
      await Promise.all(pending);
    },
  };
}

export async function runChecklist(checklist: Checklist, files: readonly string[], checker: Judge | ChecklistChecker, opts: ChecklistRunOptions = {}): Promise<ChecklistRun> {
  const role = opts.role ?? 'assistant';
  const run: ChecklistRun = { observations: [], dialogues: new Map(), failed: new Map(), diagnostics: [], models: [] };
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // Every conversation to check first (checklists run over model outputs: files of modest size), then
  // the answers, however the checker gets them.
  const tasks: (CheckTask & { file: string; line: number; model: string; side: string; items: { group: number; item: number }[] })[] = [];
  for (const file of files) {
    for await (const item of readRecords(file, { signal: opts.signal })) {
      if (opts.signal?.aborted) break;
      if ('diagnostic' in item) {
        run.diagnostics.push(item.diagnostic);
        continue;
      }
      const { record, line } = item;
      const scenario = record.raw[checklist.scenarioField];
      const applicable: { group: number; item: number; statement: string }[] = [];
      checklist.groups.forEach((g, gi) => {
        if (g.kind === 'scenario' && String(scenario) !== g.name) return;
        g.items.forEach((it, ii) => applicable.push({ group: gi, item: ii, statement: it.statement }));
      });
      if (applicable.length === 0) continue;
      const fileModel = record.raw[checklist.modelField] !== undefined ? String(record.raw[checklist.modelField]) : basename(file);
      for (const side of recordSides(record, role)) {
        const model = side.name === 'dialogue' ? fileModel : side.name;
        if (!run.models.includes(model)) run.models.push(model);
        tasks.push({ file, line, model, side: side.name, messages: side.messages, role, statements: applicable.map((a) => a.statement), items: applicable });
      }
    }
  }
  let done = 0;
  const answer = (i: number, result: boolean[] | Error) => {
    const t = tasks[i];
    if (opts.signal?.aborted) return;
    if (result instanceof Error) {
      inc(run.failed, t.model);
      const what = t.side === 'dialogue' ? 'the dialogue' : `\`${t.side}\``;
      run.diagnostics.push({ file: t.file, line: t.line, column: 1, severity: 'error', message: `judge could not check ${what}: ${result.message}` });
    } else {
      inc(run.dialogues, t.model);
      t.items.forEach((a, k) => run.observations.push({ model: t.model, group: a.group, item: a.item, passed: result[k] }));
    }
    opts.onProgress?.(++done);
  };
  const checks = 'checkAll' in checker ? checker : judgeChecker(checker);
  if (!opts.signal?.aborted && tasks.length > 0) await checks.checkAll(tasks, answer, { signal: opts.signal, parallel: Math.max(1, opts.parallel ?? 8) });
  run.diagnostics.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return run;
}

export interface Rate {
  /** Dialogues (for items) or weighted answers' count of dialogues (for groups). */
  n: number;
  passRate: number;
}

export interface ChecklistReport {
  name: string;
  models: { model: string; dialogues: number; failed: number; passRate: number }[];
  groups: {
    name: string;
    kind: 'pattern' | 'scenario';
    byModel: Record<string, Rate>;
    items: { statement: string; weight: number; byModel: Record<string, Rate> }[];
  }[];
}

/** Pass rates from observations (pure: the tests check it against hand-computed figures). */
export function checklistReport(checklist: Checklist, run: Pick<ChecklistRun, 'observations' | 'dialogues' | 'failed'> & { models?: string[] }): ChecklistReport {
  const models = [...new Set([...(run.models ?? []), ...run.dialogues.keys(), ...run.failed.keys(), ...run.observations.map((o) => o.model)])];
  const weighted = (obs: Observation[]) => {
    let num = 0;
    let den = 0;
    for (const o of obs) {
      const w = checklist.groups[o.group].items[o.item].weight;
      den += w;
      if (o.passed) num += w;
    }
    return den > 0 ? num / den : NaN;
  };
  const byModel = (obs: Observation[], count: (o: Observation[]) => number) =>
    Object.fromEntries(
      models.flatMap((m) => {
        const mine = obs.filter((o) => o.model === m);
        return mine.length > 0 ? [[m, { n: count(mine), passRate: weighted(mine) }]] : [];
      }),
    );
  return {
    name: checklist.name,
    models: models.map((model) => ({
      model,
      dialogues: run.dialogues.get(model) ?? 0,
      failed: run.failed.get(model) ?? 0,
      passRate: weighted(run.observations.filter((o) => o.model === model)),
    })),
    groups: checklist.groups.map((g, gi) => {
      const inGroup = run.observations.filter((o) => o.group === gi);
      return {
        name: g.name,
        kind: g.kind,
        // Every applicable item is answered per dialogue, so a group's dialogue count is its first item's.
        byModel: byModel(inGroup, (mine) => mine.filter((o) => o.item === 0).length),
        items: g.items.map((it, ii) => ({
          statement: it.statement,
          weight: it.weight,
          byModel: byModel(
            inGroup.filter((o) => o.item === ii),
            (mine) => mine.length,
          ),
        })),
      };
    }),
  };
}

const pct = (r: number | undefined) => (r === undefined ? '–' : percent(r));
const delta = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) ? '–' : `${b - a >= 0 ? '+' : '−'}${(100 * Math.abs(b - a)).toFixed(1)} pt`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The report as markdown. With `compare` = [base, tuned] (two model names) a Δ column shows tuned − base.
 */
export function checklistMarkdown(report: ChecklistReport, compare?: readonly [string, string]): string {
  const models = compare ? [...compare] : report.models.map((m) => m.model);
  const head = (first: string) => `| ${first} | ${models.map(cell).join(' | ')} |${compare ? ' Δ |' : ''}\n|---|${models.map(() => '---|').join('')}${compare ? '---|' : ''}`;
  const row = (label: string, rates: Record<string, Rate | undefined>) =>
    `| ${label} | ${models.map((m) => (rates[m] ? `${pct(rates[m]!.passRate)} (n=${rates[m]!.n})` : '–')).join(' | ')} |${compare ? ` ${delta(rates[compare[0]]?.passRate, rates[compare[1]]?.passRate)} |` : ''}`;
  const out = [`# Checklist: ${cell(report.name)}`, ''];
  out.push('Weighted pass rates (Σ weight of items passed / Σ weight of items checked); n = dialogues.', '');
  out.push(head('overall'));
  const overall = Object.fromEntries(report.models.map((m) => [m.model, { n: m.dialogues, passRate: m.passRate }]));
  out.push(row('all items', overall));
  const failed = report.models.filter((m) => m.failed > 0);
  if (failed.length > 0) out.push('', `Not checked (judge failed): ${failed.map((m) => `${m.model} ${m.failed}`).join(', ')} dialogue(s); see the diagnostics.`);
  out.push('', '## Groups', '', head('group'));
  for (const g of report.groups) out.push(row(`${cell(g.name)} (${g.kind})`, g.byModel));
  for (const g of report.groups) {
    out.push('', `## ${cell(g.name)} (${g.kind})`, '', head('item (weight)'));
    for (const it of g.items) out.push(row(`${cell(it.statement)} (${it.weight})`, it.byModel));
  }
  return out.join('\n') + '\n';
}
