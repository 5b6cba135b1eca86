/**
 * "StyleTune: Build Pairs by Contrast Prompting…" as a user runs it on pairs.jsonl: F1, the quick pick,
 * the margin, the save dialog (Enter keeps the suggested name), the result notification, then
 * "Label Pairs" opens the written file in the pair labeler.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths';
import type { UiTest } from './run';
import { closeAllEditors, explorerItem, frameWith, openFromExplorer, runCommand, screenshot } from './workbench';

const OUTPUT = 'pairs.contrast.pairs.jsonl';

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

      // The result stays until answered: in the notification center, which opens for it (a toast with buttons
      // would hide after 10 s, and a run that took minutes is not watched).
      const toast = page.locator('.notifications-center .notification-list-item', { hasText: `${OUTPUT}: kept` });
      await toast.getByRole('button', { name: 'Label Pairs' }).waitFor({ timeout: 60_000 });
      const text = (await toast.textContent()) ?? '';
      const kept = Number(/kept (\d+) of 4 pairs/.exec(text)?.[1]);
      const file = join(ctx.workspace, OUTPUT);
      if (!existsSync(file)) throw new Error(`${OUTPUT} was not written`);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean);
      if (!Number.isInteger(kept) || lines.length !== kept) throw new Error(`the notification says "${text}" but the file has ${lines.length} lines`);
      // The progress notification closes once the run is done (it must not linger with its Cancel button),
      // as a toast or in the center.
      await page.locator('.notification-list-item', { hasText: 'Build Pairs by Contrast Prompting:' }).waitFor({ state: 'detached', timeout: 10_000 });
      const shot = await screenshot(page, 'pairs-02-contrast-result');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'build-pairs.png'));
      }

      await toast.getByRole('button', { name: 'Label Pairs' }).click();
      const labeler = await frameWith(page, 'header h1', OUTPUT);
      await labeler.locator('#position', { hasText: `of ${kept}` }).waitFor();
      await screenshot(page, 'pairs-03-labeler');
      // Focus back in the workbench, and the tabs gone for the next test: a webview taking focus while the
      // palette is open closes it, and closeAllEditors asks again instead of waiting a fixed time first.
      await page.locator('.tabs-container .tab', { hasText: 'pairs.jsonl' }).first().click();
      await closeAllEditors(page);
    },
  },
];
