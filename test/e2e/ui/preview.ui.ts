/**
 * Preview Rewrite as a user runs it: with the cursor on a transcript turn, F1 → "StyleTune: Preview
 * Rewrite…", pick the job's adapter from the quick pick, watch both replies arrive side by side with their
 * rewards and the per-trait diff (screenshot for the README), see the diff beside the turn, append the
 * preview to a pairs file with the webview's button, regenerate and cancel it from the progress
 * notification, open the pairs file in the Pair Labeler, and bring the hidden preview back.
 *
 * The model is a tiny random one built here (make-tiny-model) with a one-step DPO adapter: its replies
 * are gibberish, which is expected; the pipeline around them is what is tested.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../paths';
import type { UiTest } from './run';
import { closeAllEditors, frameWith, runCommand, screenshot } from './workbench';

const PAIRS = 'previews.pairs.jsonl';

/** The after-line texts of the editor (CSS generated content, so read from computed styles). */
function inlineTexts(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('.monaco-editor .view-line span')) {
      const content = getComputedStyle(el, '::after').content;
      if (content && content.includes('preview:')) out.push(JSON.parse(content));
    }
    return out;
  })()`);
}

/** A tiny model and a one-step DPO job in the workspace's jobs/run1, as the trainer makes them. */
function makeJob(workspace: string): void {
  const python = join(repoRoot, '.venv', 'bin', 'python');
  const env = { ...process.env, PYTHONPATH: join(repoRoot, 'trainer') };
  const work = join(workspace, '..', 'preview-model');
  mkdirSync(work, { recursive: true });
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(work, 'tiny')], { env, stdio: 'ignore' });
  const pairs = readFileSync(join(workspace, 'pairs.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n';
  writeFileSync(join(work, 'train.jsonl'), pairs);
  const job = { model: join(work, 'tiny'), train_file: join(work, 'train.jsonl'), output_dir: join(workspace, 'jobs', 'run1'), max_steps: 1, per_device_train_batch_size: 2, learning_rate: 0.05, device: 'cpu' };
  writeFileSync(join(work, 'job.json'), JSON.stringify(job));
  execFileSync(python, ['-m', 'styletune_trainer', 'dpo', '--config', join(work, 'job.json')], { env, stdio: 'ignore' });
}

/** Short replies keep the run quick: a workspace setting, merged into whatever is there. */
function limitTokens(workspace: string): void {
  const file = join(workspace, '.vscode', 'settings.json');
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...current, 'styletune.preview.maxNewTokens': 24 }, null, 2));
}

export const previewTests: UiTest[] = [
  {
    name: 'Preview Rewrite on a transcript turn: adapter quick pick, base vs tuned with rewards and trait diff, append, open in labeler',
    async run(page, ctx) {
      makeJob(ctx.workspace);
      limitTokens(ctx.workspace);
      writeFileSync(join(ctx.workspace, PAIRS), '');

      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
      await runCommand(page, 'View: Single Column Editor Layout');
      await runCommand(page, 'View: Hide Panel', 5_000).catch(() => page.keyboard.press('Escape'));
      await page.locator('.explorer-folders-view').getByRole('treeitem', { name: 'transcript.md', exact: true }).click();
      await page.locator('.tabs-container .tab.active', { hasText: 'transcript.md' }).waitFor();
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      // The cursor on the user turn the replies answer.
      await page.locator('.monaco-editor .view-line', { hasText: 'ugh mondays' }).click();

      await runCommand(page, 'StyleTune: Preview Rewrite…');
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'jobs/run1' });
      await row.waitFor({ timeout: 30_000 });
      if (!(await row.textContent())?.includes('on tiny')) throw new Error(`the adapter's base model is not named: ${await row.textContent()}`);
      await row.click();

      let view = await frameWith(page, 'header h1', 'Preview: base vs tuned');
      // Done when the tuned card carries its difference from the base reward.
      await view.locator('#reward-delta').waitFor({ timeout: 120_000 });
      const rewards = await view.locator('.card .reward').allTextContents();
      if (rewards.length !== 2 || !rewards.every((r) => /^reward −?\d+\.\d\d$/.test(r))) throw new Error(`expected two rewards, got ${JSON.stringify(rewards)}`);
      const traitRows = await view.locator('#traits tbody tr').count();
      if (traitRows < 3) throw new Error(`expected the per-trait diff, got ${traitRows} rows`);
      // The base model is make-tiny-model's: the page says its replies are noise, above them.
      const notice = (await view.locator('#tiny-model').textContent({ timeout: 5_000 })) ?? '';
      if (!/tiny test model: random weights/.test(notice)) throw new Error(`no tiny-model notice: "${notice}"`);
      const prompt = await view.locator('#prompt .turn').last().textContent();
      if (!prompt?.includes('ugh mondays')) throw new Error(`the prompt should end with the user turn, got ${prompt}`);

      // The same diff beside the turn in the transcript.
      const deadline = Date.now() + 15_000;
      let inline: string[] = [];
      while (Date.now() < deadline && (inline = await inlineTexts(page)).length === 0) await page.waitForTimeout(250);
      if (inline.length !== 1 || !/^preview: tuned − base [+−]\d+\.\d\d/.test(inline[0])) throw new Error(`inline preview diff: ${JSON.stringify(inline)}`);
      await runCommand(page, 'Notifications: Clear All Notifications');
      // The palette fades out after running the command: keep it out of the picture.
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      const shot = await screenshot(page, 'preview');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'preview.png'));
      }

      // Append with the webview's button: the pairs file, then "leave unlabeled".
      await view.locator('#append').click();
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget', { hasText: 'Append the preview as a pair to' }).waitFor();
      await input.fill(PAIRS);
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: PAIRS }).waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'label it now?' }).waitFor();
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Leave unlabeled' }).waitFor();
      // Into the pick's own input: focus can be back in the webview by now (the pick stays open for that).
      await input.press('Enter');
      await view.locator('#appended', { hasText: `${PAIRS}, line 1` }).waitFor({ timeout: 15_000 });
      const lines = readFileSync(join(ctx.workspace, PAIRS), 'utf8').trimEnd().split('\n');
      const pair = JSON.parse(lines[0]) as { responses: unknown[]; chosen?: unknown; preview?: { sources: string[] } };
      if (lines.length !== 1 || pair.responses.length !== 2 || pair.chosen !== undefined || pair.preview?.sources.join() !== 'base,adapter') {
        throw new Error(`unexpected pairs file:\n${lines.join('\n')}`);
      }

      // Developer: Reload Window: VS Code brings the panel back, and it shows the same preview again.
      const tunedText = await view.locator('.card .response').last().textContent();
      await runCommand(page, 'Developer: Reload Window');
      // Until the old workbench is gone its frame still answers: wait for it to go first.
      for (const end = Date.now() + 30_000; !view.isDetached(); await page.waitForTimeout(100)) {
        if (Date.now() > end) throw new Error('the window did not reload');
      }
      await page.locator('.tabs-container .tab', { hasText: 'StyleTune Preview' }).click({ timeout: 60_000 });
      view = await frameWith(page, 'header h1', 'Preview: base vs tuned', 60_000);
      await view.locator('#reward-delta').waitFor();
      if ((await view.locator('.card .response').last().textContent()) !== tunedText) throw new Error('the revived panel shows another tuned reply');
      await view.locator('#appended', { hasText: `${PAIRS}, line 1` }).waitFor();
      // … and the diff is beside the turn again.
      const inlineDeadline = Date.now() + 15_000;
      while (Date.now() < inlineDeadline && (inline = await inlineTexts(page)).length === 0) await page.waitForTimeout(250);
      if (inline.length !== 1 || !/^preview: tuned − base [+−]\d+\.\d\d/.test(inline[0])) throw new Error(`inline preview diff after the reload: ${JSON.stringify(inline)}`);

      // Regenerate (the revived panel's run), then Cancel in the progress notification: the worker is stopped, the panel says so.
      await view.locator('#regenerate').click();
      const toast = page.locator('.notification-toast', { hasText: 'StyleTune: previewing the rewrite' });
      await toast.getByRole('button', { name: 'Cancel' }).click({ timeout: 30_000 });
      await view.locator('#status', { hasText: 'Cancelled' }).waitFor({ timeout: 30_000 });
      await view.locator('header .meta', { hasText: 'seed 1' }).waitFor();

      // Open in Labeler: the pair, unlabeled, in the Pair Labeler.
      await view.locator('#open-labeler').click();
      const labeler = await frameWith(page, 'header h1', PAIRS);
      await labeler.locator('#position', { hasText: 'Item 1 of 1' }).waitFor();
      await labeler.locator('#progress', { hasText: '0 labeled / 1' }).waitFor();
      const labelerShot = await screenshot(page, 'preview-labeler');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) copyFileSync(labelerShot, join(repoRoot, 'media', 'screenshots', 'preview-labeler.png'));
      // Hidden behind the labeler, the preview's page is let go (it has no retainContextWhenHidden) …
      for (const end = Date.now() + 15_000; !view.isDetached(); await page.waitForTimeout(100)) {
        if (Date.now() > end) throw new Error('the hidden preview kept its page');
      }
      // … and brought back, it shows the same preview again: the host sends it on the page's `ready`.
      await page.locator('.tabs-container .tab', { hasText: 'StyleTune Preview' }).click();
      view = await frameWith(page, 'header h1', 'Preview: base vs tuned');
      await view.locator('#status', { hasText: 'Cancelled' }).waitFor();
      await view.locator('header .meta', { hasText: 'seed 1' }).waitFor();
      await screenshot(page, 'preview-shown-again');
      // Focus back in the workbench: a webview that takes focus while the palette is open closes it, and
      // closeAllEditors asks again until the tabs are gone (instead of a fixed wait first).
      await page.locator('.tabs-container .tab', { hasText: 'transcript.md' }).click();
      await closeAllEditors(page);
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    },
  },
];
