/**
 * Tuning as a user does it in the real workbench: open tuning/ui.tune.json, click the "▶ Start DPO
 * Tuning" CodeLens, watch steps arrive in the job view and the Jobs view, reload the window during the
 * run and find the job reattached (still running, still growing), then the finished job's charts
 * (the README screenshot). Then the quick-pick flow from the command palette with a preset.
 * The worker is real (tiny model on the CPU, built here with make-tiny-model).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { repoRoot } from '../paths';
import type { UiTest } from './run';
import { explorerItem, openByPath, reloadWindow, runCommand, screenshot, showExplorer, until } from './workbench';
import { requireShared } from '../../unit/paths';

const JOB = 'ui-job';
const readmeShot = join(repoRoot, 'media', 'screenshots', 'job-view.png');

/** The job view's page: the inner frame of the visible webview that shows a job header. */
function jobView(page: Page): FrameLocator {
  return page.locator('iframe.webview.ready').filter({ visible: true }).contentFrame().locator('iframe#active-frame').contentFrame();
}

/** The newest step the job view's table shows. */
async function shownStep(frame: FrameLocator): Promise<number> {
  const text = (await frame.locator('table.metrics thead th.num').textContent({ timeout: 30_000 })) ?? '';
  return Number(/step (\d+)/.exec(text)?.[1] ?? 0);
}

async function waitForStep(frame: FrameLocator, atLeast: number, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const step = await shownStep(frame).catch(() => 0);
    if (step >= atLeast) return step;
    if (Date.now() > deadline) throw new Error(`the job view shows step ${step}, waited for ${atLeast}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A row of the Jobs view, by its accessible label "<name>, <state text>". */
/** The steps a training curve shows: [min, max] of its x axis. */
function curveSteps(frame: FrameLocator, id: string): Promise<number[]> {
  return frame.locator(`figure[data-chart="${id}"]`).evaluate((f) => [Number(f.dataset.xMin), Number(f.dataset.xMax)]);
}

/** Drags across a training curve from `from` to `to` (shares of its width), as a user zooms into steps. */
async function dragAcross(page: Page, frame: FrameLocator, id: string, from: number, to: number): Promise<void> {
  const over = frame.locator(`figure[data-chart="${id}"] .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
}

function jobRow(page: Page, name: string, state: string) {
  return page.locator(`.monaco-list-row[role="treeitem"][aria-label^="${name}, ${state}"]`);
}

/** Opens the StyleTune view container from the activity bar (its one view, Jobs, has no header of its own). */
async function showJobsView(page: Page): Promise<void> {
  const icon = page.locator('.activitybar .action-item .action-label[aria-label^="StyleTune"]');
  await icon.waitFor({ timeout: 30_000 });
  const title = page.locator('.sidebar .composite.title', { hasText: 'StyleTune' });
  if (!(await title.isVisible())) await icon.click();
  await title.waitFor();
}

/** The tiny random model the jobs train (built once per workspace; a test run alone builds it too). */
function ensureTinyModel(tuning: string): void {
  if (existsSync(join(tuning, 'models', 'tiny', 'config.json'))) return;
  execFileSync(join(repoRoot, '.venv', 'bin', 'python'), ['-m', 'styletune_trainer', 'make-tiny-model', join(tuning, 'models', 'tiny')], {
    env: { ...process.env, PYTHONPATH: join(repoRoot, 'trainer') }, stdio: 'ignore',
  });
}

/** Opens a job file from the Explorer and clicks its "▶ Start DPO Tuning" CodeLens. */
async function startFromLens(page: Page, file: string): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await showExplorer(page);
  const folder = explorerItem(page, 'tuning');
  if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
  await explorerItem(page, file).click();
  await page.locator('.tabs-container .tab.active', { hasText: file }).waitFor();
  const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Start DPO Tuning' });
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();
}

export const jobsTests: UiTest[] = [
  {
    name: 'jobs: the CodeLens starts a job; steps reach the job view and the Jobs view',
    async run(page, ctx) {
      const tuning = join(ctx.workspace, 'tuning');
      ensureTinyModel(tuning);
      // Long enough to reload the window in the middle of it (~0.3 s a step here).
      writeFileSync(join(tuning, `${JOB}.tune.json`), JSON.stringify({
        model: 'models/tiny', train_file: 'style-pairs.jsonl', output_dir: `jobs/${JOB}`, max_length: 64, truncate_prompt_to: 24,
        per_device_train_batch_size: 2, learning_rate: 0.002, max_steps: 100, save_steps: 25, device: 'cpu',
      }, null, 2) + '\n');
      await startFromLens(page, `${JOB}.tune.json`);

      const frame = jobView(page);
      await frame.locator('h1', { hasText: JOB }).waitFor({ timeout: 30_000 });
      await frame.locator('.badge.state-running').waitFor();
      const step = await waitForStep(frame, 3);
      await frame.locator('figure[data-chart="loss"] canvas').waitFor();
      // The CPU has no GPU memory to chart: the view says so instead of an empty plot.
      await frame.locator('figure[data-chart="gpu"] .chart-note', { hasText: 'runs on the CPU' }).waitFor();
      await page.locator('.notifications-toasts .notification-toast', { hasText: `StyleTune: tuning ${JOB}` }).waitFor();

      await showJobsView(page);
      await jobRow(page, JOB, 'running').waitFor();
      await screenshot(page, 'jobs-01-running');
      console.log(`[ui]   job view at step ${step} before the reload`);
    },
  },
  {
    name: 'jobs: after Developer: Reload Window the running job is reattached and finishes in the job view',
    async run(page) {
      const before = await shownStep(jobView(page));
      // Waited for the old page to go: its job view shows the same job, running and growing.
      await reloadWindow(page);
      // The job view comes back (its serializer) and the worker was never interrupted.
      const frame = jobView(page);
      await frame.locator('h1', { hasText: JOB }).waitFor({ timeout: 60_000 });
      await showJobsView(page);
      await jobRow(page, JOB, 'running').waitFor({ timeout: 30_000 });
      await frame.locator('.badge.state-running').waitFor();
      // So is the progress notification with its Cancel (= Stop).
      await page.locator('.notifications-toasts .notification-toast', { hasText: `StyleTune: tuning ${JOB}` }).waitFor({ timeout: 30_000 });
      const after = await waitForStep(frame, before + 3);
      await screenshot(page, 'jobs-02-reattached');
      console.log(`[ui]   step ${before} before the reload, ${after} after it`);

      // Zoomed into early steps while the job runs: new steps arrive and the curves keep showing those.
      await dragAcross(page, frame, 'loss', 0.1, 0.5);
      const zoomed = await until(() => curveSteps(frame, 'loss'), ([, max]) => max < after, 'the loss curve to zoom');
      const later = await waitForStep(frame, after + 3);
      assert.deepEqual(await curveSteps(frame, 'loss'), zoomed, `zoom kept at step ${later}`);
      assert.deepEqual(await curveSteps(frame, 'rewards'), zoomed);
      await frame.locator('h2 button.show-all').click();
      await until(() => curveSteps(frame, 'loss'), ([, max]) => max >= later, 'every step again');

      await frame.locator('.badge.state-done').waitFor({ timeout: 300_000 });
      assert.equal(await shownStep(frame), 100);
      await jobRow(page, JOB, 'done').waitFor();
      await frame.locator('figure[data-chart="rewards"][data-points="100"] canvas').waitFor();
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      await page.waitForTimeout(500); // the palette fades out
      const shot = await screenshot(page, 'jobs-03-done');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, readmeShot);
      }
    },
  },
  {
    name: 'jobs: a job with an eval split and a style probe charts eval loss and the probe reward; a step\'s replies show beside the chart',
    async run(page, ctx) {
      const tuning = join(ctx.workspace, 'tuning');
      ensureTinyModel(tuning);
      const name = 'ui-probe';
      // A high learning rate, so the tiny model's replies visibly drift between probes.
      writeFileSync(join(tuning, `${name}.tune.json`), JSON.stringify({
        model: 'models/tiny', train_file: 'style-pairs.jsonl', output_dir: `jobs/${name}`, max_length: 64, truncate_prompt_to: 24,
        per_device_train_batch_size: 2, learning_rate: 0.02, max_steps: 12, save_steps: 100, device: 'cpu',
        eval_split: 0.25, eval_steps: 4,
        probe_prompts: ['How was your weekend?', 'What do you think of pineapple on pizza?', 'Any plans for tonight?'],
        probe_steps: 4, probe_max_new_tokens: 24,
      }, null, 2) + '\n');
      await startFromLens(page, `${name}.tune.json`);
      const frame = jobView(page);
      await frame.locator('h1', { hasText: name }).waitFor({ timeout: 30_000 });
      // The step-0 probe (the base model) is shown before training is over.
      await frame.locator('section.probe:not([hidden]) .reply').first().waitFor({ timeout: 180_000 });
      await frame.locator('.badge.state-done').waitFor({ timeout: 300_000 });
      const section = frame.locator('section.probe[data-probes="4"]');
      await section.waitFor({ timeout: 30_000 });
      // Probes at 0, 4, 8, 12, each a button; the newest is shown, with the traits that moved since step 0.
      const buttons = await section.locator('.probe-steps button').allTextContents();
      assert.deepEqual(buttons.map((b) => b.replace(' (empty)', '')), ['step 0', 'step 4', 'step 8', 'step 12']);
      await section.locator('.probe-replies h3', { hasText: 'Replies at step 12' }).waitFor();
      assert.equal(await section.locator('.probe-replies .reply').count(), 3);
      // The tiny model at this learning rate tends to stop answering (greedy replies go empty after a few
      // steps; the probe showed that as the reward rising from 3.20 to 4.36). An empty reply is not scored,
      // every other one is; the step's reward is of those, and a step of only empty replies has none.
      const cards = await section.locator('.probe-replies .reply').evaluateAll((els) => els.map((e) => ({
        text: e.querySelector('.reply-text')?.textContent ?? '', reward: e.querySelector('.reply-meta .reward')?.textContent ?? '',
      })));
      for (const c of cards) {
        if (c.text === '(empty reply)') assert.equal(c.reward, 'empty: not scored');
        else assert.match(c.reward, /^reward -?\d+\.\d\d/);
      }
      const empties = cards.filter((c) => c.text === '(empty reply)').length;
      if (empties === 3) {
        assert.equal(buttons[3], 'step 12 (empty)');
        await section.locator('.probe-summary', { hasText: /^Step 12: no reward \(every reply empty\), \d+ tokens? per reply/ }).waitFor();
        await section.locator('.probe-silent', { hasText: /every reply empty/ }).waitFor();
      } else {
        await section.locator('.probe-summary', { hasText: /^Step 12: reward -?\d+\.\d\d \([+−]\d+\.\d\d\), \d+ tokens? per reply/ }).waitFor();
      }
      if (empties > 0) await section.locator('.probe-empty', { hasText: `${empties} of 3 replies at step 12` }).waitFor();
      else assert.equal(await section.locator('.probe-empty').count(), 0);
      console.log(`[ui]   ${empties} of 3 replies at step 12 empty; steps: ${buttons.join(', ')}`);
      assert.ok(await section.locator('.moved-list li[data-trait]').count() >= 1, 'the traits that moved are named');
      await section.locator('.probe-note', { hasText: 'scored with' }).waitFor();
      // Eval loss is drawn beside the training loss (its key shows only when there are eval points).
      await frame.locator('figure[data-chart="loss"] .key[data-key="eval/loss"]:not([hidden])').waitFor();
      await frame.locator('table.metrics tr[data-metric="eval/loss"]:not([hidden]) td.num', { hasText: /\d/ }).waitFor();

      // A step button shows that step's replies; step 0 is the baseline.
      await section.locator('.probe-steps button[data-step="0"]').click();
      await section.locator('.probe-replies h3', { hasText: 'Replies at step 0' }).waitFor();
      await section.locator('.probe-moved', { hasText: 'baseline' }).waitFor();
      // A click on the chart picks the nearest point: at the right edge, the last step.
      const over = section.locator('.probe-chart .u-over');
      const box = (await over.boundingBox())!;
      await over.click({ position: { x: box.width - 2, y: box.height / 2 } });
      await section.locator('.probe-replies h3', { hasText: 'Replies at step 12' }).waitFor();
      await over.click({ position: { x: box.width * 0.36, y: box.height / 2 } });
      await section.locator('.probe-replies h3', { hasText: 'Replies at step 4' }).waitFor();
      // A reply with text at step 4 and at step 0 shows its change since then.
      const paired = await section.locator('.reply').evaluateAll((els) => els.filter((e) => e.querySelector('.reply-text')?.textContent !== '(empty reply)'
        && e.querySelector('.reply-before .reply-text')?.textContent !== '(empty reply)').length);
      if (paired) await section.locator('.reply .reply-meta .reward', { hasText: /\([+−]\d+\.\d\d\)/ }).first().waitFor();

      // A drag across one training curve zooms every curve into those steps.
      const steps = (id: string) => curveSteps(frame, id);
      const all = await steps('loss');
      await dragAcross(page, frame, 'loss', 0.25, 0.6);
      const zoomed = await until(() => steps('loss'), ([min, max]) => min > all[0] && max < all[1], 'the loss curve to zoom');
      assert.deepEqual(await until(() => steps('rewards'), (r) => r[1] === zoomed[1], 'the rewards curve to follow'), zoomed);
      await frame.locator('h2 .zoom-hint', { hasText: /^steps \d+–\d+$/ }).waitFor();
      const showAll = frame.locator('h2 button.show-all');
      assert.ok(await showAll.isVisible(), 'Show all steps is offered');
      await screenshot(page, 'job-zoomed');

      // Another tab in front, then the job view again: its page is made anew (it is not kept alive in the
      // background) and brings back the step picked, how far it was scrolled and the zoom.
      await section.locator('h2').evaluate((h) => h.scrollIntoView({ block: 'start' }));
      const body = frame.locator('body');
      const scrolled = await body.evaluate((b) => {
        b.dataset.sameDocument = 'yes';
        return Math.round(b.ownerDocument.documentElement.scrollTop);
      });
      assert.ok(scrolled > 0, 'the probe is below the fold');
      await page.waitForTimeout(400); // the page saves its scroll 200 ms after the last scroll event
      await page.locator('.tabs-container .tab', { hasText: `${name}.tune.json` }).first().click();
      await page.locator('.tabs-container .tab.active', { hasText: `${name}.tune.json` }).waitFor();
      await page.locator('.tabs-container .tab', { hasText: `Job: ${name}` }).first().click();
      await frame.locator('section.probe[data-probes="4"][data-step="4"] .probe-replies h3', { hasText: 'Replies at step 4' }).waitFor({ timeout: 30_000 });
      assert.equal(await body.evaluate((b) => b.dataset.sameDocument ?? 'new'), 'new', 'the hidden job view was kept alive');
      const back = await until(() => body.evaluate((b) => Math.round(b.ownerDocument.documentElement.scrollTop)), (y) => Math.abs(y - scrolled) <= 2, 'the scroll to come back');
      assert.ok(Math.abs(back - scrolled) <= 2, `scrolled ${back}, was ${scrolled}`);
      assert.deepEqual(await until(() => steps('loss'), (r) => r[1] === zoomed[1], 'the zoom to come back'), zoomed);
      assert.deepEqual(await steps('accuracies'), zoomed);
      // Show all steps undoes it on every curve.
      await showAll.click();
      assert.deepEqual(await until(() => steps('rewards'), (r) => r[1] === all[1], 'every step again'), all);
      assert.deepEqual(await steps('loss'), all);
      await showAll.waitFor({ state: 'hidden' });
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      await section.locator('h2').scrollIntoViewIfNeeded();
      await page.waitForTimeout(500);
      await screenshot(page, 'job-style-probe', { keep: true });
    },
  },
  {
    name: 'jobs: Start DPO Tuning… lists only pair files with their counts, preselects nothing, and starts only after a summary is accepted',
    async run(page, ctx) {
      ensureTinyModel(join(ctx.workspace, 'tuning'));
      await runCommand(page, 'View: Close All Editors');
      await runCommand(page, 'StyleTune: Start DPO Tuning…');
      const input = page.locator('.quick-input-widget input');
      const title = (text: string) => page.locator('.quick-input-widget .quick-input-title', { hasText: text });
      const rows = page.locator('.quick-input-list .monaco-list-row');
      const pick = async (step: string, filter: string) => {
        await title(step).waitFor({ timeout: 30_000 });
        await input.fill(filter);
        await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: filter }).waitFor();
        await page.keyboard.press('Enter');
      };
      await pick('(1/4): base model', 'tuning/models/tiny');

      // The pairs: only files that hold pairs the trainer would use, each with its count; nothing active.
      await title('(2/4): preference pairs').waitFor({ timeout: 30_000 });
      await page.locator('.quick-input-widget .quick-input-progress').waitFor({ state: 'hidden', timeout: 60_000 }).catch(() => undefined);
      await rows.filter({ hasText: 'tuning/style-pairs.jsonl' }).filter({ hasText: '8 pairs' }).waitFor({ timeout: 60_000 });
      await rows.filter({ hasText: 'pairs.jsonl' }).filter({ hasText: '4 pairs' }).first().waitFor();
      const listed = (await rows.allTextContents()).join(' | ');
      for (const notPairs of ['dialogues.jsonl', 'broken.jsonl', 'contrastive.jsonl', 'demo.pairs.jsonl', 'items.jsonl']) {
        assert.ok(!listed.includes(notPairs), `${notPairs} holds no trainable pairs but is listed: ${listed}`);
      }
      assert.equal(await page.locator('.quick-input-list .monaco-list-row.focused').count(), 0, 'no pairs file is preselected');
      await screenshot(page, 'jobs-wizard-1-pairs');
      await page.keyboard.press('Enter');
      await page.waitForTimeout(500);
      assert.ok(await title('(2/4): preference pairs').isVisible(), 'Enter with nothing chosen does not move on');
      await input.fill('tuning/style-pairs.jsonl');
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'tuning/style-pairs.jsonl' }).waitFor();
      await page.keyboard.press('Enter');

      await title('(3/4): settings').waitFor();
      assert.equal(await page.locator('.quick-input-list .monaco-list-row.focused').count(), 0, 'no preset is preselected');
      await pick('(3/4): settings', 'HAL-like');
      await title('(4/4): job folder').waitFor();
      assert.match(await input.inputValue(), /^jobs[\\/]style-pairs-\d{4}-\d\d-\d\d-\d{4}$/, 'a dated default name');
      await input.fill('jobs/ui-quick');
      await page.keyboard.press('Enter');

      // The summary, which must be accepted: HAL's 10 epochs over 8 pairs in batches of 4 = 20 steps.
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'Start DPO tuning' });
      await dialog.waitFor({ timeout: 120_000 });
      const summary = (await dialog.textContent()) ?? '';
      assert.match(summary, /20 steps on 8 pairs/);
      assert.match(summary, /Preset: HAL-like/);
      assert.match(summary, /Steps: 20 \(10 epochs × 2 steps of 4 pairs\)/);
      assert.match(summary, /Device: CPU/);
      assert.match(summary, /Rough time: \d+ (s|min)/);
      assert.ok(!existsSync(join(ctx.workspace, 'jobs', 'ui-quick')), 'nothing is written before the summary is accepted');
      await screenshot(page, 'jobs-wizard-2-summary');
      await dialog.getByRole('button', { name: 'Start Tuning' }).click();

      const frame = jobView(page);
      await frame.locator('h1', { hasText: 'ui-quick' }).waitFor({ timeout: 30_000 });
      await frame.locator('.badge.state-done').waitFor({ timeout: 300_000 });
      await frame.locator('.facts', { hasText: 'preset hal' }).waitFor();
      await showJobsView(page);
      await jobRow(page, 'ui-quick', 'done').waitFor();
      const recipe = JSON.parse(readFileSync(join(ctx.workspace, 'jobs', 'ui-quick', 'job.tune.json'), 'utf8'));
      assert.equal(recipe.preset, 'hal');
      await screenshot(page, 'jobs-wizard-3-done');
    },
  },
  {
    name: 'jobs: a job file with a wrong type and a misspelt key shows red errors, and the CodeLens says why it cannot start',
    async run(page, ctx) {
      const name = 'ui-broken';
      writeFileSync(join(ctx.workspace, 'tuning', `${name}.tune.json`), '{\n  "model": "models/tiny",\n  "train_file": "style-pairs.jsonl",\n  "output_dir": "jobs/ui-broken",\n  "learning_rate": "fast",\n  "num_train_epoch": 2\n}\n');
      await runCommand(page, 'View: Close All Editors');
      await openByPath(page, `tuning/${name}.tune.json`);
      const lens = page.locator('.contentWidgets .codelens-decoration', { hasText: 'Cannot start: 2 errors' });
      await lens.waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Start DPO Tuning' }).count(), 0);
      // Red squiggles (errors), and the Problems panel lists them as errors.
      await page.locator('.view-overlays .squiggly-error').first().waitFor({ timeout: 30_000 });
      await lens.locator('a').first().click();
      const problems = page.locator('.markers-panel');
      await problems.waitFor({ timeout: 30_000 });
      await problems.locator('.monaco-list-row', { hasText: 'did you mean "num_train_epochs"' }).waitFor({ timeout: 30_000 });
      await problems.locator('.monaco-list-row', { hasText: 'expected number, got string "fast"' }).locator('.codicon-error').first().waitFor();
      await screenshot(page, 'jobs-job-file-errors');
      await runCommand(page, 'View: Hide Panel');
    },
  },
  {
    name: 'jobs: Stop while the model and data load ends the job as stopped with Resume (from scratch); Stop mid-run after Resume keeps the steps',
    async run(page, ctx) {
      const tuning = join(ctx.workspace, 'tuning');
      ensureTinyModel(tuning);
      const name = 'ui-stop-early';
      // 40k real pairs (the dev set 8 times): reading and tokenizing them is a long part of the loading.
      writeFileSync(join(tuning, 'big-pairs.jsonl'), readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').repeat(8));
      const jobFile = (over: Record<string, unknown>) => writeFileSync(join(tuning, `${name}.tune.json`), JSON.stringify({
        model: 'models/tiny', train_file: 'big-pairs.jsonl', output_dir: `jobs/${name}`, max_length: 64, truncate_prompt_to: 24,
        per_device_train_batch_size: 2, learning_rate: 0.002, max_steps: 400, save_steps: 1000, device: 'cpu', ...over,
      }, null, 2) + '\n');
      jobFile({});
      await startFromLens(page, `${name}.tune.json`);
      const frame = jobView(page);
      await frame.locator('h1', { hasText: name }).waitFor({ timeout: 30_000 });
      await frame.locator('.badge.state-running').waitFor();
      // Stop at once, while the worker still loads (Python importing torch, or reading and tokenizing).
      assert.equal(await frame.locator('progress').isVisible(), false, 'no total steps while loading');
      await frame.locator('button[data-action="stop"]').click();
      await frame.locator('.badge.state-stopped').waitFor({ timeout: 30_000 });
      await frame.locator('.notice', { hasText: 'Stopped before the first step. Resume starts from scratch (no checkpoint yet).' }).waitFor();
      await frame.locator('button[data-action="resume"]', { hasText: 'Resume (from scratch)' }).waitFor();
      await showJobsView(page);
      const row = jobRow(page, name, 'stopped before step 1');
      await row.waitFor();
      // The whole label shows in the default-width side bar: nothing cut off with an ellipsis.
      const label = row.locator('.monaco-icon-label-container');
      assert.equal(await label.textContent(), `${name}stopped before step 1`);
      assert.ok(await label.evaluate((e) => e.scrollWidth <= e.clientWidth), 'the row\'s label is cut off');
      await screenshot(page, 'jobs-05-stopped-while-loading');

      // Resume from scratch (on the first 64 pairs, to reach steps soon), then Stop between steps: a
      // checkpoint, the adapter, and Resume from that step.
      jobFile({ max_train_samples: 64 });
      await frame.locator('button[data-action="resume"]').click();
      await frame.locator('.badge.state-running').waitFor({ timeout: 30_000 });
      const step = await waitForStep(frame, 2, 180_000);
      // The Stop button is the same element from step to step: one made anew between a click's mousedown
      // and mouseup gets no click (a full run lost its Stop that way and the job ran to its end).
      const stop = frame.locator('button[data-action="stop"]');
      await stop.evaluate((b) => {
        b.dataset.sameButton = 'yes';
      });
      await waitForStep(frame, step + 2, 60_000);
      assert.equal(await stop.getAttribute('data-same-button'), 'yes', 'a step made the Stop button anew');
      await stop.click();
      await frame.locator('.badge.state-stopped').waitFor({ timeout: 60_000 });
      const resume = frame.locator('button[data-action="resume"]', { hasText: /^Resume from step \d+$/ });
      await resume.waitFor();
      const at = Number(/(\d+)$/.exec((await resume.textContent()) ?? '')?.[1]);
      assert.ok(at >= step && at < 400, `stopped at ${at}`);
      assert.ok(existsSync(join(tuning, 'jobs', name, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');
      await jobRow(page, name, `stopped at ${at}/400`).waitFor();
      await frame.locator('.notice', { hasText: `Stopped at step ${at}; the adapter is saved. Resume continues from step ${at}.` }).waitFor();
      await screenshot(page, 'jobs-06-stopped-mid-run');
    },
  },
  {
    name: 'jobs: a job file whose output_dir leads out of the workspace asks first; Cancel starts nothing, Start runs it',
    async run(page, ctx) {
      const name = 'ui-escape';
      const tuning = join(ctx.workspace, 'tuning');
      // What a cloned repository's job file could say: two levels up is the workspace's parent.
      const outside = join(ctx.workspace, '..', 'escaped-ui');
      ensureTinyModel(tuning);
      writeFileSync(join(tuning, `${name}.tune.json`), JSON.stringify({
        model: 'models/tiny', train_file: 'style-pairs.jsonl', output_dir: '../../escaped-ui', max_length: 64, truncate_prompt_to: 24,
        per_device_train_batch_size: 2, max_steps: 2, device: 'cpu',
      }, null, 2) + '\n');
      await startFromLens(page, `${name}.tune.json`);
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'output_dir writes to' });
      await dialog.waitFor({ timeout: 30_000 });
      const text = (await dialog.textContent()) ?? '';
      assert.ok(text.includes(outside), `names the folder: ${text}`);
      assert.match(text, /outside the job file's folder and the workspace/);
      await screenshot(page, 'jobs-outside-confirm');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.waitForTimeout(1_000);
      assert.throws(() => readFileSync(join(outside, 'config.json')), 'nothing written outside after Cancel');

      await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Start DPO Tuning' }).click();
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.getByRole('button', { name: 'Start' }).click();
      const frame = jobView(page);
      await frame.locator('h1', { hasText: 'escaped-ui' }).waitFor({ timeout: 60_000 });
      await frame.locator('.badge.state-done').waitFor({ timeout: 120_000 });
      await screenshot(page, 'jobs-outside-started');
    },
  },
];
