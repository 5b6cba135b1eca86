/**
 * Checklists: parsing YAML/JSON with located diagnostics, weighted pass rates checked against figures
 * computed by hand, and a whole run through the judge against the local test server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseChecklist, type Checklist } from '../../src/core/checklist/checklist';
import { checklistMarkdown, checklistReport, runChecklist, type Observation } from '../../src/core/checklist/evaluate';
import { JudgeCache } from '../../src/core/judge/cache';
import { ChatClient } from '../../src/core/judge/client';
import { Judge } from '../../src/core/judge/judge';
import { startJudgeServer, type JudgeServer } from '../support/judgeServer';

const YAML = `name: Casual chat
groups:
  - pattern: Casual style
    items:
      - statement: Says "lol"
        weight: 3
      - Says "u"
  - scenario: doctor
    items:
      - statement: Mentions "tuesday"
        weight: 2
`;

function parsed(text: string): Checklist {
  const r = parseChecklist(text, 'c.yaml');
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));
  return r.checklist;
}

describe('checklist files', () => {
  test('YAML with bare-string items (weight 1) and JSON read the same', () => {
    const c = parsed(YAML);
    assert.equal(c.name, 'Casual chat');
    assert.equal(c.modelField, 'model');
    assert.deepEqual(c.groups, [
      { name: 'Casual style', kind: 'pattern', items: [{ statement: 'Says "lol"', weight: 3 }, { statement: 'Says "u"', weight: 1 }] },
      { name: 'doctor', kind: 'scenario', items: [{ statement: 'Mentions "tuesday"', weight: 2 }] },
    ]);
    const json = JSON.stringify({ name: 'Casual chat', groups: [{ pattern: 'Casual style', items: [{ statement: 'Says "lol"', weight: 3 }, 'Says "u"'] }, { scenario: 'doctor', items: [{ statement: 'Mentions "tuesday"', weight: 2 }] }] }, null, 1);
    assert.deepEqual(parsed(json), c);
  });

  test('mistakes are located and explained', () => {
    const bad = (text: string) => {
      const r = parseChecklist(text, 'c.yaml');
      assert.ok('diagnostics' in r, 'expected diagnostics');
      return r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    };
    assert.match(bad('groups: [\n')[0], /^\d+:\d+ not valid YAML\/JSON/);
    assert.deepEqual(bad('groups:\n  - pattern: a\n    items:\n      - statement: x\n        weight: -1\n'), ['4:9 groups[0].items[0].weight must be a positive number, got -1']);
    assert.deepEqual(bad('groups:\n  - pattern: a\n    scenario: b\n    items: [x]\n'), ['2:5 groups[0] needs exactly one of `pattern` (applies to every dialogue) or `scenario` (applies to lines of that scenario)']);
    assert.deepEqual(bad('groups:\n  - pattern: a\n    items: []\n'), ['3:12 groups[0].items must be a non-empty list of statements']);
    assert.deepEqual(bad('title: x\ngroups:\n  - pattern: a\n    items: [{statment: x}]\n'), [
      '1:1 unknown key `title`; a checklist has name, scenarioField, modelField and groups',
      '4:13 groups[0].items[0] has unknown key `statment`; an item has statement and weight',
    ]);
  });
});

describe('checklist pass rates', () => {
  test('per item, per group (weighted) and overall, by hand', () => {
    const c = parsed(YAML);
    const o = (model: string, group: number, item: number, passed: boolean): Observation => ({ model, group, item, passed });
    // base: 2 casual dialogues (lol ✓✗, u ✓✓), 1 doctor (tuesday ✗); tuned: 1 casual (lol ✓, u ✗), 1 doctor (tuesday ✓)
    const observations = [
      o('base', 0, 0, true),
      o('base', 0, 1, true),
      o('base', 0, 0, false),
      o('base', 0, 1, true),
      o('base', 1, 0, false),
      o('tuned', 0, 0, true),
      o('tuned', 0, 1, false),
      o('tuned', 1, 0, true),
    ];
    const report = checklistReport(c, { observations, dialogues: new Map([['base', 3], ['tuned', 2]]), failed: new Map([['tuned', 1]]) });
    // base overall: passed weight 3 + 1 + 1 = 5 of 3+1+3+1+2 = 10; tuned: 3 + 2 = 5 of 3+1+2 = 6
    assert.deepEqual(report.models, [
      { model: 'base', dialogues: 3, failed: 0, passRate: 0.5 },
      { model: 'tuned', dialogues: 2, failed: 1, passRate: 5 / 6 },
    ]);
    // casual group, base: (3 + 1 + 1) / (3 + 1 + 3 + 1) = 5/8 over 2 dialogues; tuned 3/4 over 1
    assert.deepEqual(report.groups[0].byModel, { base: { n: 2, passRate: 5 / 8 }, tuned: { n: 1, passRate: 3 / 4 } });
    assert.deepEqual(report.groups[0].items[0].byModel, { base: { n: 2, passRate: 0.5 }, tuned: { n: 1, passRate: 1 } });
    assert.deepEqual(report.groups[0].items[1].byModel, { base: { n: 2, passRate: 1 }, tuned: { n: 1, passRate: 0 } });
    assert.deepEqual(report.groups[1].byModel, { base: { n: 1, passRate: 0 }, tuned: { n: 1, passRate: 1 } });

    const md = checklistMarkdown(report, ['base', 'tuned']);
    assert.match(md, /\| all items \| 50\.0 % \(n=3\) \| 83\.3 % \(n=2\) \| \+33\.3 pt \|/);
    assert.match(md, /\| Says "u" \(1\) \| 100\.0 % \(n=2\) \| 0\.0 % \(n=1\) \| −100\.0 pt \|/);
    assert.match(md, /Not checked \(judge failed\): tuned 1/);
  });
});

describe('checklist run through the judge', () => {
  let server: JudgeServer;
  let dir: string;
  before(async () => {
    server = await startJudgeServer();
    dir = mkdtempSync(join(tmpdir(), 'styletune-checklist-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('base vs tuned files: answers per item, scenario groups only where they apply, failures as diagnostics, cached reruns', async () => {
    const d = (text: string, extra: object = {}) => JSON.stringify({ messages: [{ role: 'user', content: 'how are you' }, { role: 'assistant', content: text }], ...extra });
    const base = join(dir, 'base.jsonl');
    const tuned = join(dir, 'tuned.jsonl');
    writeFileSync(base, [d('I am well, thank you.'), d('Since Tuesday I have had a headache.', { scenario: 'doctor' }), d('#always500')].join('\n'));
    writeFileSync(tuned, [d('good lol u?'), d('had a headache since tuesday lol', { scenario: 'doctor' })].join('\n'));
    const cache = new JudgeCache(join(dir, 'cache'));
    const judge = () => new Judge(new ChatClient({ baseUrl: server.url, model: 'test-judge', maxRetries: 1, backoffMs: 5, requestsPerMinute: 6000 }), cache);
    const run = await runChecklist(parsed(YAML), [base, tuned], judge());
    const report = checklistReport(parsed(YAML), run);
    assert.deepEqual(
      run.diagnostics.map((x) => [x.file, x.line]),
      [[base, 3]],
    );
    assert.match(run.diagnostics[0].message, /^judge could not check the dialogue: the judge endpoint answered 500/);
    // base: casual 0/2 lol, 0/2 u; doctor: "tuesday" ✓ (case-insensitive) → overall 2 / (2·4 + 2) = 0.2
    // tuned: lol 2/2, u 1/2 ("u?"), tuesday 1/1 → (6 + 1 + 2) / (8 + 2) = 0.9
    assert.deepEqual(
      report.models.map((m) => [m.model, m.dialogues, m.failed, m.passRate]),
      [
        ['base.jsonl', 2, 1, 0.2],
        ['tuned.jsonl', 2, 0, 0.9],
      ],
    );
    assert.deepEqual(report.groups[1].byModel, { 'base.jsonl': { n: 1, passRate: 1 }, 'tuned.jsonl': { n: 1, passRate: 1 } });
    const sent = server.requests;
    await runChecklist(parsed(YAML), [tuned], judge());
    assert.equal(server.requests, sent, 'answers come from the cache');
  });
});
