/**
 * Hostile lines against the readers of issue 17 (fast-check): any JSON at any depth, keys and values
 * with control characters, wrong types in every field. No reader throws; every non-blank line is one
 * value or one diagnostic; every diagnostic prints as one line without control characters; the vote
 * report, the pairs candidates and the grouping keys take whatever the readers let through.
 * STYLETUNE_FUZZ_RUNS=20000 runs a longer pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { fieldKey } from '../../src/core/fieldKey';
import { toRecord } from '../../src/core/formats';
import { readJsonl } from '../../src/core/jsonl';
import { PairsInputError, readCandidates } from '../../src/core/pairs/candidates';
import { formatDiagnostic, type Diagnostic } from '../../src/core/types';
import { loadItems } from '../../src/core/votes/items';
import { forEachVote, type VoteRecord } from '../../src/core/votes/records';
import { VoteTally } from '../../src/core/votes/report';

const dir = mkdtempSync(join(tmpdir(), 'styletune-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Text that tries to break a line or a terminal, mixed with ordinary words. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('\n', '\r\n', '\u001b[31m', '\u009b2J', '\u2028', '\u202e', '\u0000', '/x.jsonl:1:1: error: forged', 'assistant', 'user', 'tie', ''),
  fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
);

/** Values shaped like the records the readers expect, with every field liable to be wrong. */
const message = fc.record({ role: fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })), content: fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] });
const turns = fc.oneof(nasty, fc.array(message, { maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }));
const recordLike = fc.oneof(
  fc.record({ messages: turns, id: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  fc.record({ prompt: turns, chosen: turns, rejected: turns, group: fc.oneof(nasty, fc.jsonValue({ maxDepth: 3 })) }, { requiredKeys: [] }),
  fc.record({ prompt: turns, responses: fc.oneof(fc.array(turns, { maxLength: 3 }), fc.dictionary(nasty, turns, { maxKeys: 3 })), response: turns, group: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  fc.record({
    item_id: fc.oneof(nasty, fc.jsonValue({ maxDepth: 1 })),
    prompt_hash: nasty,
    systems: fc.oneof(fc.record({ A: fc.oneof(nasty, fc.jsonValue({ maxDepth: 1 })), B: nasty }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })),
    winner: fc.oneof(nasty, fc.constantFrom('A', 'B')),
    confidence: fc.constantFrom('likely', 'certainly', null, 'maybe', 3),
    annotator: nasty,
    time: fc.oneof(fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'yesterday'), nasty),
    session: nasty,
    seed: fc.oneof(fc.integer(), fc.double()),
  }, { requiredKeys: [] }),
  fc.dictionary(nasty, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
);

/** A line of the file: a record, any JSON, broken JSON, or a value nested far past MAX_NESTING. */
const line = fc.oneof(
  { weight: 6, arbitrary: recordLike.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: nasty.map((s) => s.replace(/\n/g, ' ')) },
  { weight: 1, arbitrary: fc.integer({ min: 400, max: 20_000 }).map((n) => `{"prompt": "p", "response": "r", "group": ${'['.repeat(n)}${']'.repeat(n)}}`) },
);

function fileOf(lines: string[]): string {
  const file = join(dir, `f${files++}.jsonl`);
  writeFileSync(file, lines.map((l) => l.replace(/\n/g, ' ')).join('\n') + '\n');
  return file;
}

function assertPrintable(d: Diagnostic): void {
  const text = formatDiagnostic(d);
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, text);
  assert.ok(d.line >= 1 && d.column >= 1, text);
}

test('fuzz: every reader takes any file without throwing, one item per line, every diagnostic one clean line', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 8 }), fc.constantFrom<string[] | undefined>(undefined, ['group'], ['group', 'id']), async (lines, groupBy) => {
      const file = fileOf(lines);
      // Blank as JSON counts it (space, tab, CR), not as String.trim does (U+00A0 is data, and a diagnostic).
      const nonBlank = lines.filter((l) => !/^[ \t\r]*$/.test(l.replace(/\n/g, ' '))).length;

      let items = 0;
      for await (const item of readJsonl(file)) {
        items++;
        if ('diagnostic' in item) assertPrintable(item.diagnostic);
        else {
          const r = toRecord(item.value, file, item.line);
          if ('diagnostic' in r) assertPrintable(r.diagnostic);
        }
      }
      assert.equal(items, nonBlank);

      const candidates = await readCandidates(file, { groupBy }).catch((e: Error) => e);
      if (candidates instanceof Error) assert.ok(candidates instanceof PairsInputError, candidates.stack); // a whole-run usage problem, nothing else
      else {
        candidates.diagnostics.forEach(assertPrintable);
        for (const c of candidates.candidates) assert.equal(typeof c.group, 'string');
      }

      const tally = new VoteTally();
      const votes: VoteRecord[] = [];
      await forEachVote([file], (v) => {
        votes.push(v);
        tally.add(v);
      }, assertPrintable);
      const report = tally.report();
      assert.equal(report.votes + report.duplicates, votes.length);
      assert.ok(report.systems.every((s) => s.rate >= 0 && s.rate <= 1 && s.interval.low <= s.interval.high));

      const loaded = await loadItems([file]);
      loaded.diagnostics.forEach(assertPrintable);
    }),
    { numRuns: Number(process.env.STYLETUNE_FUZZ_RUNS ?? 300) },
  );
});

test('fuzz: fieldKey gives a key, no group, or a reason for any value, at any depth, without recursing', () => {
  const deep = fc.integer({ min: 0, max: 100_000 }).map((n) => {
    let v: unknown = 'x';
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
    return v;
  });
  fc.assert(
    fc.property(nasty, fc.oneof(fc.jsonValue(), deep), (field, value) => {
      const k = fieldKey(field, value);
      if (value === null) assert.equal(k, undefined);
      else if (typeof value === 'object') assert.ok(typeof k === 'object' && /to group by/.test(k.error));
      else assert.equal(typeof k, 'string');
    }),
    { numRuns: Number(process.env.STYLETUNE_FUZZ_RUNS ?? 500) },
  );
});
