/**
 * Golden values: the trait engine and the scoring path on a fixed sample of real lines (every 10th line
 * of four shared corpora), against test/fixtures/golden/traits.json, generated from the engine before it
 * was tuned for speed. Speed work must not move any value or evidence span; this is the net for that.
 *
 * The fixture keeps hashes, not values, to stay small: one per line (which line broke), one per trait
 * and set over all its lines (which trait broke), and the full values of each set's first line.
 *
 * Regenerate only when values are meant to change (a trait definition or a word list):
 *   STYLETUNE_UPDATE_GOLDEN=1 node --test out/test/unit/golden.test.js
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { lineResultToJson, scoreJsonlFile, scoreJsonlText, type LineResult } from '../../src/core/score';
import { TRAITS } from '../../src/core/traits/catalog';
import { TraitExtractor, measureDialogue, measurePerTurn, measureResponse, type Evidence, type Measurement } from '../../src/core/traits/extract';
import type { Message, Turns } from '../../src/core/types';
import { fixtures, repoRoot, requireShared } from './paths';

const GOLDEN = join(fixtures, 'golden', 'traits.json');
const UPDATE = process.env.STYLETUNE_UPDATE_GOLDEN === '1';
const STEP = 10;

interface SetSpec {
  name: string;
  rel: string;
  /** The measurements of one parsed line, each labelled (`chosen`, `human`, `turn 3`...). */
  measure: (value: Record<string, unknown>, evidence: boolean) => [string, Measurement][];
  scoreRole?: string;
}

const dialogue = (role: string) => (v: Record<string, unknown>, evidence: boolean): [string, Measurement][] => {
  const messages = v.messages as Message[];
  const out: [string, Measurement][] = [['dialogue', measureDialogue(messages, { role, evidence })]];
  for (const { turn, measurement } of measurePerTurn(messages, { role, evidence })) out.push([`turn ${turn}`, measurement]);
  return out;
};

const SETS: SetSpec[] = [
  {
    name: 'pairs',
    rel: 'human-like-dpo/pairs.dev.jsonl',
    measure: (v, evidence) => [
      ['chosen', measureResponse(v.chosen as Turns, v.prompt as Turns, { evidence })],
      ['rejected', measureResponse(v.rejected as Turns, v.prompt as Turns, { evidence })],
      // The same reply without its partner context, and as a one-message conversation.
      ['chosen alone', measureResponse(v.chosen as Turns, undefined, { evidence })],
      ['chosen as messages', measureResponse([{ role: 'assistant', content: v.chosen as string }], [{ role: 'user', content: v.prompt as string }], { evidence })],
    ],
  },
  {
    name: 'turing',
    rel: 'turing/games.dev.jsonl',
    measure: (v, evidence) => {
      const human = (v.human as { messages: Message[] }).messages;
      const ai = (v.ai as { messages: Message[] }).messages;
      return [
        ['human', measureDialogue(human, { evidence })],
        ['ai', measureDialogue(ai, { evidence })],
        ['ai as user', measureDialogue(ai, { role: 'user', evidence })],
        ...dialogue('assistant')({ messages: human }, evidence).slice(1),
      ];
    },
  },
  { name: 'topical-chat', rel: 'topical-chat/dialogues.jsonl', measure: dialogue('agent_1'), scoreRole: 'agent_1' },
  { name: 'roleplay', rel: 'roleplay/judge_scored.jsonl', measure: dialogue('assistant') },
];

/** Values rounded to 1e-12, so the fixture does not hinge on the last bit of a division. */
const round = (x: number) => (Number.isInteger(x) ? x : Math.round(x * 1e12) / 1e12);
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
const spans = (ev: readonly Evidence[]) => ev.map((e) => `${e.turn}:${e.start}-${e.end}:${e.trait}`).join(' ');

function sampleLines(rel: string): { line: number; text: string }[] {
  const all = readFileSync(requireShared(rel), 'utf8').split('\n');
  const out: { line: number; text: string }[] = [];
  for (let i = 0; i < all.length; i += STEP) if (all[i].trim() !== '') out.push({ line: i + 1, text: all[i] });
  return out;
}

interface SetGolden {
  lines: number[];
  /** Per sampled line: hash of every measurement's turns, values and evidence spans. */
  perLine: string[];
  /** Per trait: hash of its values over all lines and measurements. */
  perTrait: Record<string, string>;
  /** Per trait: hash of its evidence spans over all lines and measurements. */
  evidencePerTrait: Record<string, string>;
  /** The first sampled line in full, so a mismatch shows numbers. */
  first: { label: string; turns: number; values: Record<string, number>; evidence: string }[];
  /** lineResultToJson of scoring the sampled lines with the default model, one hash per line. */
  scores: string[];
}

function computeSet(spec: SetSpec): Omit<SetGolden, 'scores'> {
  const lines = sampleLines(spec.rel);
  const perLine: string[] = [];
  const traitCols: string[][] = TRAITS.map(() => []);
  const evCols: string[][] = TRAITS.map(() => []);
  const traitPos = new Map(TRAITS.map((t, i) => [t.id, i]));
  let first: SetGolden['first'] = [];
  for (const { line, text } of lines) {
    const value = JSON.parse(text) as Record<string, unknown>;
    const withEv = spec.measure(value, true);
    const without = spec.measure(value, false);
    assert.equal(without.length, withEv.length);
    const parts: string[] = [];
    for (let m = 0; m < withEv.length; m++) {
      const [label, a] = withEv[m];
      const b = without[m][1];
      // Collecting evidence must not change what is measured.
      assert.deepEqual(Array.from(b.values), Array.from(a.values), `${spec.name} line ${line} ${label}: values differ with evidence off`);
      assert.equal(b.turns, a.turns);
      assert.equal(b.evidence, undefined);
      const ev = a.evidence ?? [];
      const rounded = Array.from(a.values, round);
      parts.push(`${label}|${a.turns}|${rounded.join(',')}|${spans(ev)}`);
      for (let k = 0; k < TRAITS.length; k++) traitCols[k].push(`${line}:${label}:${rounded[k]}`);
      for (const e of ev) evCols[traitPos.get(e.trait) ?? 0].push(`${line}:${label}:${e.turn}:${e.start}-${e.end}`);
      // `trait` names a catalog trait (evidence for unknown ids would hide in column 0 otherwise).
      for (const e of ev) assert.ok(traitPos.has(e.trait), `evidence for unknown trait ${e.trait}`);
    }
    if (first.length === 0) {
      first = withEv.map(([label, m]) => ({
        label,
        turns: m.turns,
        values: Object.fromEntries(TRAITS.map((t, k) => [t.id, round(m.values[k])])),
        evidence: spans(m.evidence ?? []),
      }));
    }
    perLine.push(hash(parts.join('\n')));
  }
  return {
    lines: lines.map((l) => l.line),
    perLine,
    perTrait: Object.fromEntries(TRAITS.map((t, k) => [t.id, hash(traitCols[k].join('\n'))])),
    evidencePerTrait: Object.fromEntries(TRAITS.map((t, k) => [t.id, hash(evCols[k].join('\n'))])),
    first,
  };
}

/** A JSON rendering with numbers rounded like the trait values. */
function canonical(r: LineResult): string {
  return JSON.stringify(lineResultToJson(r), (_k, v: unknown) => (typeof v === 'number' ? round(v) : v));
}

/** Lines that are not data, scored alongside so diagnostics stay where they were. */
const BAD_LINES = [
  '{"messages": [{"role": "user", "content": "hi"}]}',
  '{"chosen": "ok", "rejected": 3}',
  '{"messages": [',
  '[1, 2]',
  '',
  '{"human": {"messages": [{"role": "assistant", "content": "hey u"}]}}',
  '{"prompt": [{"role": "user", "content": "yo"}], "chosen": [{"role": "assistant", "content": "sup lol"}], "rejected": [{"role": "assistant", "content": "Hello! How can I assist you today?"}]}',
];

let model: RewardModel | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'styletune-golden-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await model?.dispose();
});

async function computeScores(spec: SetSpec): Promise<string[]> {
  model ??= await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const text = [...sampleLines(spec.rel).map((l) => l.text), ...BAD_LINES].join('\n') + '\n';
  const file = join(tmp, `${spec.name}.jsonl`);
  writeFileSync(file, text);
  const fromFile: string[] = [];
  // A small batch and chunk size, so batches and lines both cross boundaries.
  for await (const r of scoreJsonlFile(file, model, { role: spec.scoreRole, batchSize: 7, chunkSize: 4093 })) fromFile.push(canonical(r));
  const fromText: string[] = [];
  for await (const r of scoreJsonlText(text, file, model, { role: spec.scoreRole })) fromText.push(canonical(r));
  assert.deepEqual(fromText, fromFile, `${spec.name}: scoreJsonlText and scoreJsonlFile disagree`);
  return fromFile.map(hash);
}

function compareSet(name: string, got: SetGolden, want: SetGolden): void {
  assert.deepEqual(got.lines, want.lines, `${name}: sampled lines changed (did the shared data change?)`);
  const badLines = got.lines.filter((_, i) => got.perLine[i] !== want.perLine[i]);
  const badTraits = Object.keys(want.perTrait).filter((id) => got.perTrait[id] !== want.perTrait[id]);
  const badEvidence = Object.keys(want.evidencePerTrait).filter((id) => got.evidencePerTrait[id] !== want.evidencePerTrait[id]);
  const badScores = got.scores.flatMap((h, i) => (h !== want.scores[i] ? [i] : []));
  if (badLines.length + badTraits.length + badEvidence.length + badScores.length > 0 || got.scores.length !== want.scores.length) {
    // The first line's full values pinpoint a numeric change when it is among the broken ones.
    assert.deepEqual(got.first, want.first, `${name}: first sampled line differs`);
    assert.fail(
      `${name}: ${badLines.length} of ${got.lines.length} lines differ (first: line ${badLines.slice(0, 5).join(', ')}); ` +
        `trait values differ for [${badTraits.join(', ')}]; evidence differs for [${badEvidence.join(', ')}]; ` +
        `scores differ for result ${badScores.slice(0, 5).join(', ')} (${got.scores.length} results, ${want.scores.length} expected)`,
    );
  }
}

describe('golden trait values on real data', () => {
  const golden: Record<string, SetGolden> = {};
  for (const spec of SETS) {
    test(spec.name, async () => {
      const got: SetGolden = { ...computeSet(spec), scores: await computeScores(spec) };
      if (UPDATE) {
        golden[spec.name] = got;
        return;
      }
      const want = (JSON.parse(readFileSync(GOLDEN, 'utf8')) as { sets: Record<string, SetGolden> }).sets[spec.name];
      assert.ok(want, `${GOLDEN} has no set ${spec.name}; regenerate it (see the top of golden.test.ts)`);
      compareSet(spec.name, got, want);
    });
  }

  test('a fresh extractor agrees with the shared one', () => {
    // Reuse of one extractor's state (stamps, buffers, counters) must not leak between measurements.
    const lines = sampleLines('human-like-dpo/pairs.dev.jsonl').slice(0, 50);
    for (const { text } of lines) {
      const v = JSON.parse(text) as { prompt: string; chosen: string };
      const a = new TraitExtractor().measureResponse(v.chosen, v.prompt, { evidence: true });
      const b = measureResponse(v.chosen, v.prompt, { evidence: true });
      assert.deepEqual(Array.from(b.values), Array.from(a.values));
      assert.deepEqual(b.evidence, a.evidence);
    }
  });

  if (UPDATE) {
    after(() => {
      mkdirSync(dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, JSON.stringify({ note: 'generated by test/unit/golden.test.ts; see there before regenerating', step: STEP, sets: golden }) + '\n');
    });
  }
});
