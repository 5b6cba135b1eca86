/**
 * `StyleTune: Preview Rewrite…` in a real VS Code with a real tiny model: the test builds one with the
 * trainer (`make-tiny-model`), trains a one-step LoRA DPO job on two sample pairs for an adapter, then
 * previews a transcript turn and a typed prompt through the worker's `generate`. The tiny random model
 * writes gibberish; what is checked is the plumbing: both replies, their rewards, the per-trait diff,
 * what the webview rendered, the inline diff beside the turn, and the pair lines appended.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { toRecord } from '../../../src/core/formats';
import { parseLine } from '../../../src/core/labeling';
import type { PreviewResult } from '../../../src/extension/preview/controller';
import type { InlineInfo } from '../../../src/extension/preview/inline';
import type { AppendResult } from '../../../src/extension/preview/append';
import type { PreviewView, ViewMessage } from '../../../webview/preview/protocol';
import { startJudgeServer } from '../../support/judgeServer';
import { until } from '../../support/until';
import { closeAllEditorsWithoutSaving, openSample, sample, saveJudgeRewardModel } from './helpers';

const run = promisify(execFile);

type Rendered = Extract<ViewMessage, { type: 'rendered' }>;


const preview = (args: object) => vscode.commands.executeCommand<PreviewResult | { error: string } | undefined>('styletune.previewRewrite', args);

function ok(r: PreviewResult | { error: string } | undefined): PreviewResult {
  assert.ok(r, 'the preview returned nothing');
  assert.ok(!('error' in r), `the preview failed: ${(r as { error: string }).error}`);
  return r;
}

/** The webview's own report of the state it rendered, once it has rendered run `id` to the end. */
async function renderedDone(): Promise<{ view: PreviewView; rendered: Rendered }> {
  const s = await until(
    () => vscode.commands.executeCommand<{ view?: PreviewView; rendered?: Rendered }>('styletune.previewState'),
    (s) => !!s.view && !!s.rendered && s.rendered.id === s.view.id && s.rendered.status === 'done',
    'the preview webview to render the finished preview',
  );
  return { view: s.view!, rendered: s.rendered! };
}

function checkScored(r: PreviewResult): void {
  for (const side of [r.base, r.tuned]) {
    assert.equal(typeof side.text, 'string');
    assert.ok(Number.isFinite(side.score), `a finite reward, got ${side.score}`);
  }
  assert.ok(Math.abs(r.rewardDelta - (r.tuned.score - r.base.score)) < 1e-9);
  assert.ok(r.traits.length > 0, 'the per-trait diff lists traits');
  for (let i = 1; i < r.traits.length; i++) assert.ok(Math.abs(r.traits[i - 1].delta) >= Math.abs(r.traits[i].delta), 'largest change first');
}

describe('StyleTune: Preview Rewrite', function () {
  this.timeout(240_000);
  const ext = () => vscode.extensions.getExtension('styletune.styletune')!;
  let python: string;
  let tiny: string;
  let jobDir: string;
  let sandbox: string;

  before(async function () {
    this.timeout(300_000);
    await ext().activate();
    const root = ext().extensionPath;
    python = join(root, '.venv', 'bin', 'python');
    sandbox = join(process.env.STYLETUNE_E2E_SANDBOX ?? vscode.workspace.workspaceFolders![0].uri.fsPath, 'preview');
    mkdirSync(sandbox, { recursive: true });
    const env = { ...process.env, PYTHONPATH: join(root, 'trainer') };
    tiny = join(sandbox, 'tiny');
    await run(python, ['-m', 'styletune_trainer', 'make-tiny-model', tiny], { env });
    // The cheapest real adapter: one DPO step on two of the sample pairs (text pairs only).
    const pairs = readFileSync(sample('pairs.jsonl').fsPath, 'utf8').split('\n').slice(0, 2).join('\n') + '\n';
    writeFileSync(join(sandbox, 'train.jsonl'), pairs);
    jobDir = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'jobs', 'run1');
    const job = { model: tiny, train_file: join(sandbox, 'train.jsonl'), output_dir: jobDir, max_steps: 1, per_device_train_batch_size: 2, learning_rate: 0.05, device: 'cpu' };
    writeFileSync(join(sandbox, 'job.json'), JSON.stringify(job));
    await run(python, ['-m', 'styletune_trainer', 'dpo', '--config', join(sandbox, 'job.json')], { env });
  });
  afterEach(closeAllEditorsWithoutSaving);

  it('previews the transcript turn under the cursor with a job folder: both replies scored, rendered, and the diff beside the turn', async () => {
    const editor = await openSample('transcript.md');
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('ugh mondays'));
    editor.selection = new vscode.Selection(line, 5, line, 5);
    const r = ok(await preview({ jobDir, maxNewTokens: 8 }));
    checkScored(r);
    assert.equal(r.adapter, join(jobDir, 'adapter'));
    assert.equal(r.model, tiny, "the base model comes from the job's config.json");
    const prompt = r.prompt as { role: string; content: string }[];
    assert.deepEqual(prompt.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
    assert.equal(prompt.at(-1)!.content, 'ugh mondays');

    // What the webview shows, in its own words.
    const { view, rendered } = await renderedDone();
    assert.equal(rendered.base, r.base.text || '(empty reply)');
    assert.equal(rendered.tuned, r.tuned.text || '(empty reply)');
    assert.deepEqual(rendered.scores, [r.base.score, r.tuned.score]);
    assert.ok(rendered.traits > 0 && rendered.traits <= view.traits.length);
    assert.equal(view.adapter, 'run1/adapter');

    // The per-trait diff beside the user turn, with the engine's hover table.
    assert.ok(r.inline, 'an inline diff for a transcript turn');
    assert.equal(r.inline.line, line);
    assert.equal(r.inline.textLine, line + 1, 'on the blank line below the turn');
    assert.match(r.inline.text, /^preview: tuned − base [+−]\d+\.\d\d/);
    const shown = await vscode.commands.executeCommand<InlineInfo[]>('styletune.previewInline', editor.document.uri);
    assert.deepEqual(shown, [r.inline]);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /StyleTune reward of the previewed replies to this turn/);
    assert.match(text, /\| Trait \| Tuned \| Base \| Δ contribution \|/);

    // It follows the turn when lines are added above it.
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'a new first line\n'));
    const moved = await vscode.commands.executeCommand<InlineInfo[]>('styletune.previewInline', editor.document.uri);
    assert.deepEqual(moved.map((m) => m.line), [line + 1]);
    // Once the turn itself changes, the preview no longer answers it: the diff goes.
    const at = editor.document.lineAt(line + 1).text.indexOf('mondays');
    await editor.edit((e) => e.replace(new vscode.Range(line + 1, at, line + 1, at + 'mondays'.length), 'tuesdays'));
    assert.deepEqual(await vscode.commands.executeCommand<InlineInfo[]>('styletune.previewInline', editor.document.uri), []);
  });

  it('appends the preview to a pairs file: unlabeled for the labeler, then labeled with the tuned reply chosen', async () => {
    const target = join(sandbox, 'previews.pairs.jsonl');
    writeFileSync(target, '{"prompt": "hi", "responses": [[{"role": "assistant", "content": "a"}], [{"role": "assistant", "content": "b"}]]}');
    const first = await vscode.commands.executeCommand<AppendResult>('styletune.previewAppendPair', { target, choice: 'unlabeled' });
    const second = await vscode.commands.executeCommand<AppendResult>('styletune.previewAppendPair', { target, choice: 'tuned' });
    assert.deepEqual([first.lineNumber, second.lineNumber, first.via], [2, 3, 'append']);
    const lines = readFileSync(target, 'utf8').split('\n');
    assert.equal(lines.length, 4, 'three lines and the final newline');
    assert.equal(lines[3], '');
    const { view } = await renderedDone();
    const [base, tuned] = [view.base!.text, view.tuned!.text];
    const unlabeled = JSON.parse(lines[1]) as Record<string, unknown>;
    // The file holds conversational pairs, and so does the conversation: message-list replies.
    assert.deepEqual(unlabeled.responses, [[{ role: 'assistant', content: base }], [{ role: 'assistant', content: tuned }]]);
    assert.deepEqual((unlabeled.preview as { sources: string[] }).sources, ['base', 'adapter']);
    const turnLine = readFileSync(sample('transcript.md').fsPath, 'utf8').split('\n').findIndex((l) => l.includes('ugh mondays')) + 1;
    assert.deepEqual(unlabeled.source, { file: 'transcript.md', line: turnLine });
    const item = parseLine(lines[1]);
    assert.ok('item' in item && !item.item.label, 'the labeler sees an unlabeled item');
    const labeled = JSON.parse(lines[2]) as Record<string, unknown>;
    assert.deepEqual(labeled.chosen, [{ role: 'assistant', content: tuned }]);
    assert.deepEqual(labeled.rejected, [{ role: 'assistant', content: base }]);
    assert.equal((labeled.label as { choice: string }).choice, '2');
    const rec = toRecord(labeled, target, 3);
    assert.ok('record' in rec && rec.record.kind === 'pair', 'a TRL pair the trainer and the inspector read');
  });

  it('previews a typed prompt with an adapter and model given, and reports a job without an adapter in plain words', async () => {
    const r = ok(await preview({ prompt: 'any plans for lunch?', adapter: join(jobDir, 'adapter'), model: tiny, maxNewTokens: 6, seed: 7, temperature: 0 }));
    checkScored(r);
    assert.equal(r.prompt, 'any plans for lunch?');
    assert.equal(r.seed, 7);
    assert.equal(r.inline, undefined, 'a typed prompt has no turn to annotate');
    await renderedDone();

    const unfinished = join(sandbox, 'unfinished');
    mkdirSync(unfinished, { recursive: true });
    writeFileSync(join(unfinished, 'config.json'), JSON.stringify({ model: tiny }));
    // As the Jobs view's context menu passes it: the tree node. Refused before any prompt is asked for.
    const failed = await preview({ kind: 'job', snap: { dir: unfinished } });
    assert.ok(failed && 'error' in failed);
    assert.match(failed.error, /has no adapter yet/);
  });

  it('with a reward model that weighs judge traits, the judge rates both replies (once: then from its cache), and without a judge says why', async () => {
    const server = await startJudgeServer();
    const judge = vscode.workspace.getConfiguration('styletune.judge');
    const config = vscode.workspace.getConfiguration('styletune');
    const model = join(sandbox, 'judge-combined.onnx');
    await saveJudgeRewardModel(model);
    await config.update('rewardModelPath', model, vscode.ConfigurationTarget.Workspace);
    await judge.update('model', 'preview-e2e-judge', vscode.ConfigurationTarget.Global);
    await judge.update('maxRetries', 0, vscode.ConfigurationTarget.Global);
    const args = { prompt: 'how was your weekend?', adapter: join(jobDir, 'adapter'), model: tiny, maxNewTokens: 6, seed: 3, temperature: 0 };
    try {
      const unjudged = await preview(args);
      assert.ok(unjudged && 'error' in unjudged, 'no judge set up: not scored');
      assert.match(unjudged.error, /weighs LLM-judge ratings, and no judge is set up/);
      const { view } = await renderedDone();
      assert.match(view.message ?? '', /Replies not scored/);

      await judge.update('baseUrl', server.url, vscode.ConfigurationTarget.Global);
      const r = ok(await preview(args));
      checkScored(r);
      assert.equal(server.requests, 2, 'the judge rated the base and the tuned reply');
      ok(await preview(args));
      assert.equal(server.requests, 2, 'the same replies again: rated from the cache');
    } finally {
      await config.update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
      for (const key of ['baseUrl', 'model', 'maxRetries']) await judge.update(key, undefined, vscode.ConfigurationTarget.Global);
      await server.close();
    }
  });
});
