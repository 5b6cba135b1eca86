/** `StyleTune: Score Current File` as a user runs it: open a file from the Explorer, F1, type, Enter. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { readmeScreenshot } from '../paths';
import type { UiTest } from './run';
import { explorerItem, openFromExplorer, refreshExplorerFor, runCommand, screenshot } from './workbench';

const COMMAND = 'StyleTune: Score Current File';

/** The editor group whose active tab is `title`. */
function resultsEditor(page: Page, title: string): Locator {
  return page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: title }) });
}

function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

export const scoreCurrentFileTests: UiTest[] = [
  {
    name: 'the workbench opens the sample workspace',
    async run(page) {
      await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
      await explorerItem(page, 'dialogues.jsonl').waitFor({ timeout: 30_000 });
      await screenshot(page, '00-workbench');
    },
  },
  {
    name: 'scoring dialogues.jsonl shows a summary and the results beside the file',
    async run(page) {
      await openFromExplorer(page, 'dialogues.jsonl');
      await runCommand(page, COMMAND);
      const summary = toast(page, /Scored 5 dialogues \(mean reward -?\d+\.\d\d\)/);
      await summary.getByRole('button', { name: 'Open Results' }).waitFor();
      await resultsEditor(page, 'dialogues.scores.jsonl').locator('.view-line', { hasText: '"score"' }).first().waitFor();
      await screenshot(page, '01-score-dialogues');

      // Closed results come back from the notification.
      await page.locator('.tab', { hasText: 'dialogues.scores.jsonl' }).getByRole('button', { name: /^Close/ }).click();
      await page.locator('.tab', { hasText: 'dialogues.scores.jsonl' }).waitFor({ state: 'detached' });
      await summary.getByRole('button', { name: 'Open Results' }).click();
      await resultsEditor(page, 'dialogues.scores.jsonl').locator('.view-line', { hasText: '"score"' }).first().waitFor();
    },
  },
  {
    name: 'scoring broken.jsonl marks the malformed line and lists it in the Problems panel',
    async run(page) {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await openFromExplorer(page, 'broken.jsonl');
      await runCommand(page, COMMAND);
      const summary = toast(page, /Scored 3 dialogues \(mean reward -?\d+\.\d\d\) · 1 line with problems/);
      await summary.getByRole('button', { name: 'Open Results' }).waitFor();
      await resultsEditor(page, 'broken.scores.jsonl').locator('.view-line', { hasText: '"error"' }).waitFor();
      // The panel opened from the keyboard keeps the notification up for the README picture.
      await page.keyboard.press('Control+Shift+M');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /StyleTune.*\[Ln 3, Col \d+\]/ });
      await problem.waitFor();
      const shot = await screenshot(page, '02-score-broken');
      // The README's picture changes only on request, so a test run leaves the working tree as it was.
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(dirname(readmeScreenshot), { recursive: true });
        copyFileSync(shot, readmeScreenshot);
      }

      await page.locator('.part.panel').getByRole('tab', { name: /^Output/ }).click();
      await summary.getByRole('button', { name: 'Show Problems' }).click();
      await problem.waitFor();
    },
  },
  {
    name: 'the StyleTune output channel logs the runs',
    async run(page) {
      await runCommand(page, 'Output: Show Output Channels');
      await page.locator('.quick-input-widget input').fill('StyleTune');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'StyleTune' }).first().waitFor();
      await page.keyboard.press('Enter');
      const output = page.locator('.part.panel .view-lines');
      await output.locator('.view-line', { hasText: 'Scored 3 dialogues' }).waitFor();
      await output.locator('.view-line', { hasText: 'Loaded reward model' }).waitFor();
      await screenshot(page, '03-output-channel');
    },
  },
  {
    name: 'scoring a big file can be cancelled from its progress notification',
    async run(page, ctx) {
      await runCommand(page, 'Notifications: Clear All Notifications');
      // 60,000 preference pairs: several seconds of scoring, made by the test so the repository keeps small samples.
      const lines = readFileSync(join(ctx.workspace, 'pairs.jsonl'), 'utf8').trim().split('\n');
      writeFileSync(join(ctx.workspace, 'big.jsonl'), Array.from({ length: 60_000 }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
      await refreshExplorerFor(page, 'big.jsonl');
      await openFromExplorer(page, 'big.jsonl');
      await runCommand(page, COMMAND);
      const progress = toast(page, /Scoring big\.jsonl/);
      await progress.getByRole('button', { name: 'Cancel' }).waitFor();
      await screenshot(page, '04-progress');
      await progress.getByRole('button', { name: 'Cancel' }).click();
      await toast(page, /Cancelled · Scored [\d,]+ preference pairs/).waitFor();
      await screenshot(page, '05-cancelled');
    },
  },
];
