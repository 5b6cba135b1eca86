/**
 * The two pair-building runs from input to pair lines, shared by `styletune pairs` and the extension's
 * commands: read (or generate) candidates, score them with the reward, select or filter, summarize.
 * Nothing is written here; callers write the result atomically once the run finished, so a cancelled
 * run leaves no half-written file.
 */
import type { RewardModel } from '../reward/model';
import type { Diagnostic, Turns } from '../types';
import { readCandidates, type Candidate } from './candidates';
import {
  contrastRecord, droppedRecord, judgeContrast, summarizeContrast, withSystemPrompt,
  DEFAULT_CASUAL_SYSTEM_PROMPT, DEFAULT_CONTRAST_MAX_NEW_TOKENS, DEFAULT_FORMAL_SYSTEM_PROMPT, type ContrastCase, type ContrastSummary, type ContrastVerdict,
} from './contrast';
import { generateAnswers, readPrompts, type GenerateRequest } from './generate';
import { buildRankedPairs, type RankedOptions } from './ranked';
import { scoreCandidates } from './score';
import { rankSpeakers, rolesIn, speakersOf } from '../speakers';
import type { RankedSummary } from './select';
import { readRecords } from '../formats';

export type Stage = 'reading' | 'generating' | 'scoring';

export interface RunCallbacks {
  signal?: AbortSignal;
  onProgress?: (stage: Stage, done: number, total: number) => void;
  onLog?: (line: string) => void;
}

/** How to generate: everything of GenerateRequest but the prompts (read from the input file). */
export type Generation = Omit<GenerateRequest, 'prompts'>;

export interface RankedRun extends RankedOptions {
  file: string;
  groupBy?: string[];
  /** Set: `file` holds prompts, and the model answers each `generation.numSamples` times. */
  generation?: Generation;
  model: RewardModel;
  role?: string;
}

export interface RankedOutcome {
  pairs: Record<string, unknown>[];
  summary: RankedSummary;
  diagnostics: Diagnostic[];
  /** Cancelled: nothing should be written. */
  stopped: boolean;
  /**
   * Generated runs: the candidates per prompt as the pair labeler's unlabeled items
   * `{prompt, responses, scores, line}`, to label by hand or rank again without generating.
   */
  generated?: Record<string, unknown>[];
}

export async function runRanked(run: RankedRun, cb: RunCallbacks = {}): Promise<RankedOutcome> {
  cb.onProgress?.('reading', 0, 0);
  let candidates: Candidate[];
  let diagnostics: Diagnostic[];
  let groupField = run.groupField ?? false;
  if (run.generation) {
    const read = await readPrompts(run.file, cb.signal);
    diagnostics = read.diagnostics;
    const gen = await generateAnswers({ ...run.generation, prompts: read.prompts.map((p) => p.prompt) }, {
      signal: cb.signal,
      onLog: cb.onLog,
      onProgress: (d, t) => cb.onProgress?.('generating', d, t),
    });
    if (gen.stopped) return stoppedRanked(diagnostics);
    candidates = gen.samples.map((s) => {
      const p = read.prompts[s.index];
      return { line: p.line, group: `line ${p.line}`, prompt: p.prompt, response: s.text, kind: 'response', index: s.sample, tokens: s.tokens };
    });
    groupField = false;
  } else {
    const read = await readCandidates(run.file, { groupBy: run.groupBy, signal: cb.signal });
    candidates = read.candidates;
    diagnostics = read.diagnostics;
    groupField = groupField || (run.groupBy?.length ?? 0) > 0;
  }
  if (cb.signal?.aborted) return stoppedRanked(diagnostics);
  const scores = await scoreCandidates(candidates, run.model, {
    role: run.role,
    signal: cb.signal,
    onProgress: (d, t) => cb.onProgress?.('scoring', d, t),
  });
  if (!scores) return stoppedRanked(diagnostics);
  const result = buildRankedPairs(candidates, scores, { rule: run.rule, maxPerGroup: run.maxPerGroup, groupField });
  const role = run.role ?? run.model.spec.role;
  // A file whose speakers have other names fails on every candidate: the summary names the roles it has.
  const found = rankSpeakers(result.excluded.filter((e) => e.reason === 'unscorable').map((e) => speakersOf(e.candidate.response)));
  if (found.length) result.summary.unscorableRoles = found;
  // Candidates from a file that took no part are that file's problems; generated ones only count.
  if (!run.generation) {
    for (const e of result.excluded) {
      const which = e.candidate.index !== undefined ? `\`responses[${e.candidate.index}]\` ` : '';
      const here = rolesIn(e.candidate.response);
      diagnostics.push({
        file: run.file, line: e.candidate.line, column: 1, severity: 'warning',
        message: e.reason === 'empty'
          ? `${which}is empty; left out`
          : `${which}has no turn by \`${role}\` to score (${here.length ? `roles here: ${here.join(', ')}; ` : ''}choose the role with --role / styletune.role); left out`,
      });
    }
  }
  diagnostics.sort((a, b) => a.line - b.line);
  const outcome: RankedOutcome = { pairs: result.pairs, summary: result.summary, diagnostics, stopped: false };
  if (run.generation) outcome.generated = candidateLines(candidates, scores);
  return outcome;
}

function candidateLines(candidates: Candidate[], scores: Float64Array): Record<string, unknown>[] {
  const byGroup = new Map<string, { prompt?: Turns; line: number; responses: Turns[]; scores: (number | null)[] }>();
  candidates.forEach((c, i) => {
    let g = byGroup.get(c.group);
    if (!g) byGroup.set(c.group, (g = { prompt: c.prompt, line: c.line, responses: [], scores: [] }));
    g.responses.push(c.response);
    g.scores.push(Number.isFinite(scores[i]) ? scores[i] : null);
  });
  return [...byGroup.values()].map((g) => ({ prompt: g.prompt, responses: g.responses, scores: g.scores, line: g.line }));
}

function stoppedRanked(diagnostics: Diagnostic[]): RankedOutcome {
  return {
    pairs: [], diagnostics, stopped: true,
    summary: { rule: '', groups: 0, candidates: 0, pairs: 0, pairedGroups: 0, skipped: { single: 0, tied: 0, 'below-threshold': 0 }, capped: 0, empty: 0, unscorable: 0, sdAll: NaN },
  };
}

export interface ContrastRun {
  file: string;
  margin: number;
  /** Keep pairs whose generated answers hit max_new_tokens. */
  allowTruncated?: boolean;
  /** Set: `file` holds prompts, answered under both system prompts. Unset: `file` holds casual/formal pairs. */
  generation?: Generation & { casualSystemPrompt?: string; formalSystemPrompt?: string };
  model: RewardModel;
  role?: string;
}

export interface ContrastOutcome {
  pairs: Record<string, unknown>[];
  dropped: Record<string, unknown>[];
  summary: ContrastSummary;
  diagnostics: Diagnostic[];
  stopped: boolean;
}

export async function runContrast(run: ContrastRun, cb: RunCallbacks = {}): Promise<ContrastOutcome> {
  cb.onProgress?.('reading', 0, 0);
  const cases: ContrastCase[] = [];
  const diagnostics: Diagnostic[] = [];
  const stopped = (): ContrastOutcome => ({ pairs: [], dropped: [], summary: summarizeContrast([], run.margin), diagnostics, stopped: true });
  if (run.generation) {
    const read = await readPrompts(run.file, cb.signal);
    diagnostics.push(...read.diagnostics);
    const casual = run.generation.casualSystemPrompt ?? DEFAULT_CASUAL_SYSTEM_PROMPT;
    const formal = run.generation.formalSystemPrompt ?? DEFAULT_FORMAL_SYSTEM_PROMPT;
    // One worker run for both styles (one model load): prompt i becomes 2i (casual) and 2i + 1 (formal).
    const prompts: Turns[] = read.prompts.flatMap((p) => [withSystemPrompt(p.prompt, casual), withSystemPrompt(p.prompt, formal)]);
    const { casualSystemPrompt: _c, formalSystemPrompt: _f, ...gen } = run.generation;
    const out = await generateAnswers({ ...gen, maxNewTokens: gen.maxNewTokens ?? DEFAULT_CONTRAST_MAX_NEW_TOKENS, prompts, numSamples: 1 }, {
      signal: cb.signal,
      onLog: cb.onLog,
      onProgress: (d, t) => cb.onProgress?.('generating', d, t),
    });
    if (out.stopped) return stopped();
    const byIndex = new Map(out.samples.map((s) => [s.index, s]));
    read.prompts.forEach((p, i) => {
      const a = byIndex.get(2 * i);
      const b = byIndex.get(2 * i + 1);
      cases.push({
        line: p.line, prompt: p.prompt,
        casual: a?.text ?? '', formal: b?.text ?? '',
        casualTruncated: a?.truncated, formalTruncated: b?.truncated,
      });
    });
  } else {
    for await (const item of readRecords(run.file, { signal: cb.signal })) {
      if ('diagnostic' in item) diagnostics.push(item.diagnostic);
      else if (item.record.kind !== 'pair') {
        diagnostics.push({
          file: run.file, line: item.line, column: 1, severity: 'error',
          message: `expected a pair line {prompt, chosen: casual answer, rejected: formal answer}, found a ${item.record.kind} line (to generate the answers, give a model folder)`,
        });
      } else {
        const { prompt, chosen, rejected } = item.record.pair;
        cases.push({ line: item.line, prompt, casual: chosen, formal: rejected });
      }
    }
  }
  if (cb.signal?.aborted) return stopped();
  const items = cases.flatMap((c) => [
    { prompt: c.prompt, response: c.casual, kind: 'response' as const },
    { prompt: c.prompt, response: c.formal, kind: 'response' as const },
  ]);
  const scores = await scoreCandidates(items, run.model, { role: run.role, signal: cb.signal, onProgress: (d, t) => cb.onProgress?.('scoring', d, t) });
  if (!scores) return stopped();
  const verdicts: ContrastVerdict[] = [];
  const pairs: Record<string, unknown>[] = [];
  const dropped: Record<string, unknown>[] = [];
  cases.forEach((c, i) => {
    const cs = scores[2 * i];
    const fs = scores[2 * i + 1];
    const v = judgeContrast(c, cs, fs, run.margin, run.allowTruncated);
    verdicts.push(v);
    if (v.kept) pairs.push(contrastRecord(c, cs, fs));
    else dropped.push(droppedRecord(c, v, cs, fs));
  });
  return { pairs, dropped, summary: summarizeContrast(verdicts, run.margin), diagnostics, stopped: false };
}
