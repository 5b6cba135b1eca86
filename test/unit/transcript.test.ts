import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { TRAITS } from '../../src/core/traits/catalog';
import { parseTranscript, speakerId } from '../../src/core/transcript';
import { scoreJsonlText, type CandidatesResult } from '../../src/core/score';
import { AnnotationEngine, hoverMarkdown, inlineText, signed, type Annotation, type LineSource } from '../../src/extension/annotations/engine';

const lines = (text: string): LineSource => {
  const l = text.split('\n');
  return { lineCount: l.length, lineAt: (i) => l[i] };
};

describe('parseTranscript', () => {
  it('reads bold labels, with text on the label line and continuation lines', () => {
    const turns = parseTranscript(['# Title', 'intro', '', '**User:** hi', '', '**Assistant:** hey', 'second line', '', '---', ''].join('\n'));
    assert.deepEqual(turns, [
      { role: 'user', content: 'hi', line: 3, endLine: 3 },
      { role: 'assistant', content: 'hey\nsecond line', line: 5, endLine: 6 },
    ]);
  });

  it('accepts **Name**: and any speaker name in bold, normalized like JSONL roles', () => {
    const turns = parseTranscript('**Human**: yo\n**Agent 1:** sup');
    assert.deepEqual(turns.map((t) => [t.role, t.content]), [['user', 'yo'], ['agent_1', 'sup']]);
    assert.equal(speakerId(' Agent  2 '), 'agent_2');
  });

  it('accepts plain and heading labels only for role words or the given speakers', () => {
    const text = ['User: hi', 'Note: this is part of the turn', '## assistant', 'hello', '## Results', 'agent_1: x'].join('\n');
    assert.deepEqual(
      parseTranscript(text).map((t) => [t.role, t.content]),
      [['user', 'hi\nNote: this is part of the turn'], ['assistant', 'hello\n## Results\nagent_1: x']],
    );
    assert.deepEqual(parseTranscript(text, { speakers: ['agent_1'] }).map((t) => t.role), ['user', 'assistant', 'agent_1']);
  });

  it('ignores labels inside fenced code and bold emphasis that is not a label', () => {
    const text = ['**Assistant:** look:', '```', 'User: not a turn', '```', '**This is a long emphasised sentence that goes on and on:** nope'].join('\n');
    const turns = parseTranscript(text);
    assert.equal(turns.length, 1);
    assert.equal(turns[0].endLine, 4);
  });

  it('handles CRLF line ends and empty turns', () => {
    const turns = parseTranscript('**User:** a\r\n**Assistant:**\r\n**User:** b\r\n');
    assert.deepEqual(turns.map((t) => [t.role, t.content, t.line]), [['user', 'a', 0], ['assistant', '', 1], ['user', 'b', 2]]);
  });
});

/** A tiny real model: two traits with known weights, so contributions can be checked by hand. */
async function model(): Promise<RewardModel> {
  const ids = [TRAITS[0].id, TRAITS[1].id];
  return RewardModel.fromSpec({
    traitIds: ids,
    mean: Float64Array.from([0, 0]),
    std: Float64Array.from([1, 1]),
    weights: Float64Array.from([-0.5, 2]),
    bias: 0.25,
    zClip: 100,
    role: 'assistant',
    training: { name: 'test model' },
  });
}

describe('AnnotationEngine', () => {
  const transcript = ['**User:** hi there', '**Assistant:** hello, friend, how are you doing today', '**User:** ok', '**Assistant:** ok'].join('\n');

  it('annotates each assistant turn of a transcript with its reward = bias + contributions', async () => {
    const m = await model();
    const a = await new AnnotationEngine().annotate('markdown', lines(transcript), [{ start: 0, end: 10 }], m, 'k', 'assistant');
    assert.deepEqual(a.map((x) => x.line), [1, 3]);
    assert.deepEqual(a.map((x) => x.textLine), [1, 3], 'no blank line below: the text follows the label');
    for (const x of a) {
      assert.equal(x.kind, 'turn');
      const sum = x.traits.reduce((s, t) => s + t.contribution, x.bias);
      assert.ok(Math.abs(sum - x.score) < 1e-9);
      assert.ok(Math.abs(x.traits[0].contribution) >= Math.abs(x.traits[1].contribution), 'largest |contribution| first');
      assert.match(x.text, /^reward [+−]\d+\.\d\d/);
    }
    // "ok": one word; length = log2(2) = 1 → −0.5; a terse turn → +2.
    assert.equal(a[1].traits.find((t) => t.id === 'length')?.contribution, -0.5);
    assert.equal(a[1].score, 0.25 - 0.5 + 2);
    await m.dispose();
  });

  it('scores only what starts in the requested ranges, and reuses cached turns after lines move', async () => {
    const m = await model();
    const engine = new AnnotationEngine();
    const first = await engine.annotate('markdown', lines(transcript), [{ start: 2, end: 3 }], m, 'k', 'assistant');
    assert.deepEqual(first.map((x) => x.line), [3]);
    const moved = await engine.annotate('markdown', lines(`intro\n\n${transcript}`), [{ start: 0, end: 99 }], m, 'k', 'assistant');
    assert.deepEqual(moved.map((x) => x.line), [3, 5]);
    const spaced = await engine.annotate('markdown', lines(transcript.split('\n').join('\n\n')), [{ start: 0, end: 99 }], m, 'k', 'assistant');
    assert.deepEqual(spaced.map((x) => [x.line, x.textLine]), [[2, 3], [6, 6]], 'the blank line below a turn holds its text; the last has none');
    assert.equal(moved[1].score, first[0].score);
    await m.dispose();
  });

  it('annotates dialogue and pair lines of JSONL, and skips malformed ones', async () => {
    const m = await model();
    const doc = [
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }),
      '{"broken": ',
      JSON.stringify({ prompt: 'lunch?', chosen: 'tacos', rejected: 'I would be happy to help you decide on lunch options today.' }),
      '',
    ].join('\n');
    const a = await new AnnotationEngine().annotate('jsonl', lines(doc), [{ start: 0, end: 3 }], m, 'k', 'assistant');
    assert.deepEqual(a.map((x) => [x.line, x.textLine, x.kind]), [[0, 0, 'dialogue'], [2, 2, 'pair']]);
    const pair = a[1];
    assert.ok(pair.sides);
    assert.ok(Math.abs(pair.score - (pair.sides.scores[0] - pair.sides.scores[1])) < 1e-9);
    assert.match(pair.text, /^chosen − rejected \+\d/);
    const diff = pair.traits.reduce((s, t) => s + t.contribution, 0);
    assert.ok(Math.abs(diff - pair.score) < 1e-9, 'the margin is the sum of contribution differences');
    assert.ok(pair.traits.every((t) => typeof t.other === 'number'));
    await m.dispose();
  });

  it('scores each candidate of a responses line (and a ranking) as styletune score does, with the spread best − worst', async () => {
    const m = await model();
    const doc = [
      JSON.stringify({ prompt: 'lunch?', responses: ['tacos', 'I would be happy to help you decide on lunch options today.', 'thinking tacos, you?'] }),
      JSON.stringify({ prompt: [{ role: 'user', content: 'u a bot?' }], responses: ['nope lol', 'As an AI, I am.'], label: { choice: 'rank', ranking: [2, 1] } }),
      // Decided by the labeler: a pair for every reader.
      JSON.stringify({ prompt: 'hi', responses: ['hey', 'Hello.'], chosen: 'hey', rejected: 'Hello.' }),
      JSON.stringify({ prompt: 'hi', responses: ['only one'] }),
      JSON.stringify({ prompt: 'hi', responses: [[{ role: 'agent_1', content: 'yo' }], [{ role: 'agent_1', content: 'Hello.' }]] }),
    ].join('\n');
    const r = await new AnnotationEngine().scan('jsonl', lines(doc), [{ start: 0, end: 9 }], m, 'k', 'assistant');
    assert.deepEqual(r.annotations.map((x) => [x.line, x.kind]), [[0, 'candidates'], [1, 'candidates'], [2, 'pair']]);
    assert.deepEqual(r.unmatched, [{ line: 4, endLine: 4, speakers: ['agent_1'] }], 'a line of two candidates is not an error, and no role speaks: the choice');
    const cli: CandidatesResult[] = [];
    for await (const l of scoreJsonlText(doc, 'x.jsonl', m, { candidates: true, role: 'assistant' })) if (l.kind === 'candidates') cli.push(l.result);
    for (const [i, a] of r.annotations.slice(0, 2).entries()) {
      const c = cli[i];
      assert.ok(a.candidates);
      assert.deepEqual(a.candidates.scores, c.candidates.map((x) => x.score));
      assert.deepEqual([a.candidates.best, a.candidates.worst, a.score], [c.best, c.worst, c.spread]);
      assert.ok(a.score > 0);
      // The traits that separate the best from the worst, largest first, summing to the spread.
      assert.ok(Math.abs(a.traits.reduce((s, t) => s + t.contribution, 0) - a.score) < 1e-9);
      assert.ok(Math.abs(a.traits[0].contribution) >= Math.abs(a.traits[1].contribution));
    }
    const [set, ranked] = r.annotations;
    const list = set.candidates!.scores.map((s, i) => `#${i + 1} ${signed(s)}`).join(', ');
    assert.ok(set.text.startsWith(`best #${set.candidates!.best} − worst #${set.candidates!.worst} ${signed(set.score)} (${list}) · `), set.text);
    assert.deepEqual(ranked.candidates!.ranking, [2, 1]);
    assert.match(ranked.text, /; ranked #2 > #1\) /);
    assert.equal(set.candidates!.ranking, undefined);
    await m.dispose();
  });

  it('names the speakers of items with no turn by the role, and scores nothing there', async () => {
    const m = await model();
    const agents = (i: number) => JSON.stringify({ messages: [{ role: 'agent_1', content: `fan? ${i}` }, { role: 'system', content: 'be nice' }, { role: 'agent_2', content: 'yes lol' }] });
    const doc = [agents(0), JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }), agents(2), '{"broken": '].join('\n');
    const engine = new AnnotationEngine();
    for (let pass = 0; pass < 2; pass++) {
      // The second pass answers from the cache: unmatched items must survive it too.
      const r = await engine.scan('jsonl', lines(doc), [{ start: 0, end: 9 }], m, 'k', 'assistant');
      assert.deepEqual(r.annotations.map((x) => x.line), [1]);
      assert.deepEqual(r.unmatched, [
        { line: 0, endLine: 0, speakers: ['agent_1', 'agent_2'] },
        { line: 2, endLine: 2, speakers: ['agent_1', 'agent_2'] },
      ]);
    }
    const asAgent = await engine.scan('jsonl', lines(doc), [{ start: 0, end: 9 }], m, 'k', 'agent_1');
    assert.deepEqual([asAgent.annotations.map((x) => x.line), asAgent.unmatched.map((u) => u.line)], [[0, 2], [1]]);
    // A human/ai line where the role speaks on one side only is a data problem, not a role to choose.
    const oneSided = JSON.stringify({ human: { messages: [{ role: 'assistant', content: 'hey' }] }, ai: { messages: [{ role: 'bot', content: 'Hello.' }] } });
    assert.deepEqual(await engine.scan('jsonl', lines(oneSided), [{ start: 0, end: 0 }], m, 'k', 'assistant'), { annotations: [], unmatched: [] });
    await m.dispose();
  });

  it('a transcript without a turn by the role is one unmatched item naming every speaker', async () => {
    const m = await model();
    const agents = ['# Chat', '', '**Agent 1:** hey', '', '**Agent 2:** hi lol', '', '**Agent 1:** sup'].join('\n');
    const r = await new AnnotationEngine().scan('markdown', lines(agents), [{ start: 3, end: 9 }], m, 'k', 'assistant');
    assert.deepEqual(r, { annotations: [], unmatched: [{ line: 4, endLine: 4, speakers: ['agent_1', 'agent_2'] }] });
    const scored = await new AnnotationEngine().scan('markdown', lines(agents), [{ start: 0, end: 9 }], m, 'k', 'agent_2');
    assert.deepEqual([scored.annotations.map((x) => x.line), scored.unmatched], [[4], []]);
    await m.dispose();
  });

  it('forgets cached scores when the model or role changes', async () => {
    const m = await model();
    const engine = new AnnotationEngine();
    const a = await engine.annotate('markdown', lines(transcript), [{ start: 0, end: 9 }], m, 'k', 'assistant');
    const asUser = await engine.annotate('markdown', lines(transcript), [{ start: 0, end: 9 }], m, 'k', 'user');
    assert.deepEqual(asUser.map((x) => x.line), [0, 2]);
    assert.notDeepEqual(asUser.map((x) => x.score), a.map((x) => x.score));
    await m.dispose();
  });
});

describe('annotation text', () => {
  const base: Annotation = {
    kind: 'turn',
    line: 0,
    endLine: 0,
    textLine: 0,
    score: -1.2345,
    bias: 0.1,
    traits: [
      { id: 'a', label: 'Alpha', description: '', value: 3, contribution: -1 },
      { id: 'b', label: 'Beta', description: '', value: 1, contribution: 0.5 },
      { id: 'c', label: 'Gamma | pipe', description: '', value: 1, contribution: 0.25 },
      { id: 'd', label: 'Delta', description: '', value: 1, contribution: 0.1 },
      { id: 'e', label: 'Zero', description: '', value: 0, contribution: 0 },
    ],
    text: '',
  };

  it('names the reward and at most three traits, with signs', () => {
    assert.equal(inlineText(base), 'reward −1.23 · Alpha −1.00 · Beta +0.50 · Gamma | pipe +0.25');
    assert.equal(inlineText({ ...base, traits: base.traits.slice(4) }), 'reward −1.23');
  });

  it('puts every trait in the hover table, escaping pipes', () => {
    const md = hoverMarkdown(base);
    assert.match(md, /\| Trait \| Value \| Contribution \|/);
    assert.equal(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Trait')).length, 5);
    assert.match(md, /Gamma \\\| pipe/);
    const pair = hoverMarkdown({ ...base, kind: 'pair', sides: { names: ['chosen', 'rejected'], scores: [1, 2.2345] } });
    assert.match(pair, /\| Trait \| Chosen \| Rejected \| Δ contribution \|/);
    assert.match(pair, /margin \*\*−1\.23\*\*/);
  });

  it('names every candidate in the hover, the best and the worst, and how the reward reads a ranking', () => {
    const set: Annotation = { ...base, kind: 'candidates', score: 1.5, candidates: { scores: [-0.5, 1, -0.2], best: 2, worst: 1, ranking: [3, 2, 1] } };
    assert.equal(inlineText(set), 'best #2 − worst #1 +1.50 (#1 −0.50, #2 +1.00, #3 −0.20; ranked #3 > #2 > #1) · Alpha −1.00 · Beta +0.50 · Gamma | pipe +0.25');
    const md = hoverMarkdown(set);
    assert.match(md, /these candidates\*\*: #1 −0\.50 \(worst\), #2 1\.00 \(best\), #3 −0\.20; spread \(best − worst\) \*\*\+1\.50\*\*/);
    assert.match(md, /the reward's best, #2, is ranked 2nd of 3/);
    assert.match(md, /\| Trait \| Best #2 \| Worst #1 \| Δ contribution \|/);
  });
});
