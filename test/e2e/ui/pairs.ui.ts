/**
 * "StyleTune: Build Pairs by Contrast Prompting…" as a user runs it on pairs.jsonl: F1, the quick pick,
 * the margin, the save dialog (Enter keeps the suggested name), the result notification, then
 * "Label Pairs" opens the written file in the pair labeler.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { repoRoot } from '../paths';
import type { UiTest } from './run';
import { explorerItem, openFromExplorer, runCommand, screenshot } from './workbench';

const OUTPUT = 'pairs.contrast.pairs.jsonl';

async function frameWith(page: Page, selector: string, text: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.locator(selector, { hasText: text }).count().catch(() => 0)) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector} "${text}"`);
    await page.waitForTimeout(250);
  }
}

export const pairsTests: UiTest[] = [
  {
    name: 'build pairs by contrast prompting from the palette: quick pick, margin, save, result, Label Pairs',
    async run(page, ctx) {
      // The file first: clicking it also focuses the workbench when this test runs alone.
      await explorerItem(page, 'pairs.jsonl').waitFor({ timeout: 30_000 });
      await openFromExplorer(page, 'pairs.jsonl');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'StyleTune: Build Pairs by Contrast Prompting');
      const widget = page.locator('.quick-input-widget');
      // pairs.jsonl holds pairs, so filtering them is offered first.
      await widget.filter({ hasText: 'Build Pairs by Contrast Prompting' }).waitFor();
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Filter the pairs in this file' }).waitFor();
      await screenshot(page, 'pairs-01-contrast-pick');
      await page.keyboard.press('Enter');
      await widget.filter({ hasText: 'Margin' }).waitFor();
      await page.keyboard.press('Enter');
      // The save dialog (the workbench's own in the browser) suggests <name>.contrast.pairs.jsonl beside the file.
      const input = page.locator('.quick-input-widget input');
      const deadline = Date.now() + 15_000;
      while (!(await input.inputValue()).endsWith(OUTPUT)) {
        if (Date.now() > deadline) throw new Error(`the save dialog suggests "${await input.inputValue()}", not …/${OUTPUT}`);
        await page.waitForTimeout(200);
      }
      await input.press('Enter');

      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `${OUTPUT}: kept` });
      await toast.getByRole('button', { name: 'Label Pairs' }).waitFor({ timeout: 60_000 });
      const text = (await toast.textContent()) ?? '';
      const kept = Number(/kept (\d+) of 4 pairs/.exec(text)?.[1]);
      const file = join(ctx.workspace, OUTPUT);
      if (!existsSync(file)) throw new Error(`${OUTPUT} was not written`);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean);
      if (!Number.isInteger(kept) || lines.length !== kept) throw new Error(`the notification says "${text}" but the file has ${lines.length} lines`);
      // The progress notification closes once the run is done (it must not linger with its Cancel button).
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Build Pairs by Contrast Prompting:' }).waitFor({ state: 'detached', timeout: 10_000 });
      const shot = await screenshot(page, 'pairs-02-contrast-result');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'build-pairs.png'));
      }

      await toast.getByRole('button', { name: 'Label Pairs' }).click();
      const labeler = await frameWith(page, 'header h1', OUTPUT);
      await labeler.locator('#position', { hasText: `of ${kept}` }).waitFor();
      await screenshot(page, 'pairs-03-labeler');
      await page.locator('.tabs-container .tab', { hasText: 'pairs.jsonl' }).first().click();
      await page.waitForTimeout(500);
      await runCommand(page, 'View: Close All Editors');
    },
  },
  {
    name: 'build pairs from reward ranking with generation, cancelled from the notification: nothing is written',
    async run(page, ctx) {
      // A tiny model and many real prompts, so that generation runs long enough to cancel it.
      const tiny = join(ctx.workspace, 'tiny-model');
      execFileSync(join(repoRoot, '.venv', 'bin', 'python'), ['-m', 'styletune_trainer', 'make-tiny-model', tiny], {
        env: { ...process.env, PYTHONPATH: join(repoRoot, 'trainer') }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      const shared = process.env.STYLETUNE_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data');
      const prompts = readFileSync(join(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 300)
        .map((l) => JSON.stringify({ prompt: (JSON.parse(l) as { prompt: string }).prompt }));
      writeFileSync(join(ctx.workspace, 'prompts.jsonl'), prompts.join('\n') + '\n');

      await explorerItem(page, 'prompts.jsonl').waitFor({ timeout: 30_000 });
      await openFromExplorer(page, 'prompts.jsonl');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'StyleTune: Build Pairs from Reward Ranking');
      const widget = page.locator('.quick-input-widget');
      const input = page.locator('.quick-input-widget input');
      // A file of bare prompts: generating is offered first.
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Generate candidates with a local model' }).waitFor();
      await page.keyboard.press('Enter');
      // The folder dialog: type the model folder's path, then accept it.
      await widget.filter({ hasText: 'Choose the model folder' }).waitFor();
      await input.fill(tiny);
      await page.waitForTimeout(500);
      // Enter either goes into the folder (then the button accepts the folder shown) or, when the dialog
      // has already settled on the typed path, accepts it at once: the next step shows either way.
      await page.keyboard.press('Enter');
      const nextStep = widget.filter({ hasText: 'Candidates per prompt' });
      const accept = widget.getByRole('button', { name: 'Use This Model' });
      await page.waitForTimeout(500);
      // The button may vanish between the check and the click when Enter has accepted the folder after all.
      if (!(await nextStep.isVisible())) await accept.click({ timeout: 5_000 }).catch(() => undefined);
      await nextStep.waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Gap above k SD within each group' }).waitFor();
      await page.keyboard.press('Enter');
      await widget.filter({ hasText: 'k: the reward gap' }).waitFor();
      await page.keyboard.press('Enter');
      const deadline = Date.now() + 15_000;
      while (!(await input.inputValue()).endsWith('prompts.ranked.pairs.jsonl')) {
        if (Date.now() > deadline) throw new Error(`the save dialog suggests "${await input.inputValue()}"`);
        await page.waitForTimeout(200);
      }
      await input.press('Enter');

      const running = page.locator('.notifications-toasts .notification-toast', { hasText: /Build Pairs from Reward Ranking: generating answers \d+\/1200/ });
      await running.waitFor({ timeout: 90_000 });
      await screenshot(page, 'pairs-04-ranked-generating');
      await running.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'cancelled; nothing was written' }).waitFor({ timeout: 60_000 });
      if (existsSync(join(ctx.workspace, 'prompts.ranked.pairs.jsonl'))) throw new Error('a cancelled run wrote its output');
      await runCommand(page, 'View: Close All Editors');
    },
  },
];
