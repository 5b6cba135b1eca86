/**
 * The LLM judge as a user drives it: set the key in the password box, rate the open JSONL file (a line
 * the judge answers with prose lands in Problems), then run a checklist over base and tuned outputs
 * picked from the list and read the report; with a reward model that weighs judge traits, transcript
 * turns wait for ratings until the hover's link rates them. The judge is the local test server (test/support).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot, sharedData } from '../paths';
import { saveJudgeRewardModel } from '../../support/judgeModel';
import { startJudgeServer, type JudgeServer } from '../../support/judgeServer';
import { firstAssistantTurnEnd, waitForAnnotations } from './annotations.ui';
import type { UiTest } from './run';
import { explorerItem, openFromExplorer, runCommand, screenshot, showExplorer } from './workbench';

let server: JudgeServer | undefined;

const toast = (page: Page, text: string | RegExp) => page.locator('.notifications-toasts .notification-toast', { hasText: text });
const line = (text: string) => JSON.stringify({ messages: [{ role: 'user', content: 'hey whats up, any plans for the weekend?' }, { role: 'assistant', content: text }] });

export const judgeTests: UiTest[] = [
  {
    name: 'judge: set the API key, rate the open file, failed lines in Problems',
    async run(page, { workspace }) {
      server = await startJudgeServer();
      mkdirSync(join(workspace, '.vscode'), { recursive: true });
      writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'styletune.judge.baseUrl': server.url, 'styletune.judge.model': 'ui-judge', 'styletune.judge.maxRetries': 0 }, null, 2));
      writeFileSync(join(workspace, 'judge-me.jsonl'), [line('nm lol, prob just gaming u?'), line('I do not have weekend plans, but I can suggest some activities!'), line('#malformed')].join('\n') + '\n');
      writeFileSync(join(workspace, 'base.jsonl'), [line('I do not have personal plans. However, I can suggest hiking.'), line('As an AI, I do not have weekends.')].join('\n') + '\n');
      writeFileSync(join(workspace, 'tuned.jsonl'), [line('nm lol, u?'), line('lol prob sleep tbh')].join('\n') + '\n');
      writeFileSync(
        join(workspace, 'casual.checklist.yaml'),
        'name: Casual texting\ngroups:\n  - pattern: Texting style\n    items:\n      - statement: Laughs with "lol"\n        weight: 2\n      - Uses "u" for you\n  - pattern: Everyday life\n    items:\n      - Talks about "sleep"\n',
      );

      // Run alone (STYLETUNE_E2E_UI_GREP) this is the first test: wait until the workbench takes keys.
      await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
      await showExplorer(page);
      await explorerItem(page, 'judge-me.jsonl').waitFor({ timeout: 30_000 });
      await openFromExplorer(page, 'judge-me.jsonl');
      await runCommand(page, 'StyleTune: Set Judge API Key');
      const box = page.locator('.quick-input-widget input[type="password"]');
      await box.waitFor();
      await box.fill('sk-ui-test');
      await page.keyboard.press('Enter');
      await toast(page, 'Judge API key saved in secret storage.').waitFor();

      await openFromExplorer(page, 'judge-me.jsonl');
      await runCommand(page, 'StyleTune: Rate with LLM Judge');
      await toast(page, /Rated 2 conversations of judge-me\.jsonl \(0 from the cache\) → judge-me\.ratings\.jsonl; 1 could not be rated/).waitFor({ timeout: 60_000 });
      if (server.authorizations.at(-1) !== 'Bearer sk-ui-test') throw new Error(`the key was not sent: ${server.authorizations.at(-1)}`);
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel .monaco-list-row', { hasText: /judge could not rate the dialogue.*\[Ln 3, Col 1\]/ }).waitFor();
      // The Explorer lists every file earlier tests left, so the new one may be below its fold: reveal
      // judge-me.jsonl, which the ratings file sits right under.
      await runCommand(page, 'Reveal Active File in Explorer View');
      await explorerItem(page, 'judge-me.ratings.jsonl').waitFor();
      await screenshot(page, '40-judge-rate');
    },
  },
  {
    name: 'judge: a checklist over base and tuned outputs opens a report with the difference',
    async run(page) {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
      await openFromExplorer(page, 'casual.checklist.yaml');
      await runCommand(page, 'StyleTune: Run Checklist Evaluation…');
      const input = page.locator('.quick-input-widget input');
      // The list holds every JSONL file earlier tests left: wait for the first, then filter to each name.
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'base.jsonl' }).first().waitFor();
      for (const name of ['base.jsonl', 'tuned.jsonl']) {
        await input.fill(name);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().locator('.monaco-checkbox, input[type="checkbox"]').first().click();
      }
      await input.fill('');
      await page.keyboard.press('Enter');
      // The rendered report (the test server passes an item when its "quoted" word is in the reply).
      const preview = page.locator('iframe.webview.ready').filter({ visible: true }).contentFrame().locator('iframe#active-frame').contentFrame();
      await preview.locator('h1', { hasText: 'Checklist: Casual texting' }).waitFor({ timeout: 60_000 });
      await preview.locator('tr', { hasText: 'all items' }).filter({ hasText: '+' }).waitFor();
      const shot = await screenshot(page, '41-judge-checklist');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'judge-checklist.png'));
      }
    },
  },
  {
    name: 'judge: with a reward model that weighs judge traits, transcript turns wait for ratings until the hover link rates them',
    async run(page, { workspace }) {
      const model = join(workspace, 'combined.onnx');
      await saveJudgeRewardModel(model, sharedData);
      const before = server!.requests;
      writeFileSync(
        join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({ 'styletune.judge.baseUrl': server!.url, 'styletune.judge.model': 'ui-judge', 'styletune.judge.maxRetries': 0, 'styletune.rewardModelPath': model }, null, 2),
      );
      await runCommand(page, 'Notifications: Clear All Notifications');
      // The checklist report of the test before is an unsaved editor: let it go without saving. When a tab
      // says it is unsaved, the dialog will come, however long it takes; run alone, there may be none.
      const unsaved = (await page.locator('.tabs-container .tab.dirty').count()) > 0;
      await runCommand(page, 'View: Close All Editors');
      const dontSave = page.getByRole('button', { name: "Don't Save" });
      if (await dontSave.waitFor({ timeout: unsaved ? 30_000 : 3_000 }).then(() => true, () => false)) await dontSave.click();
      if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Hide Panel');
      await openFromExplorer(page, 'transcript.md');
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      // The assistant turns on screen (monaco renders only those) all show `want`.
      const annotations = (want: RegExp) => waitForAnnotations(page, (seen) => seen.length >= 2 && seen.every((t) => want.test(t)), `annotations like ${want}`);
      await annotations(/^reward: needs LLM-judge ratings/);
      if (server!.requests !== before) throw new Error('the judge was called before the user asked');

      const turnEnd = await firstAssistantTurnEnd(page);
      await page.mouse.move(...turnEnd);
      const hover = page.locator('.monaco-hover', { hasText: 'not scored yet' });
      await hover.waitFor({ timeout: 15_000 });
      await screenshot(page, '42-judge-inline-unrated');
      await hover.getByRole('link', { name: 'Rate the visible items with the LLM judge' }).click();
      const texts = await annotations(/^reward [+−]\d+\.\d\d · /);
      if (server!.requests - before < texts.length) throw new Error(`expected one judge request per turn on screen, got ${server!.requests - before} for ${texts.length}`);
      if (!texts.some((t) => t.includes('Judge: '))) throw new Error(`no judge trait among the top traits: ${JSON.stringify(texts)}`);
      // The old hover stays while the mouse rests on it: leave, then come back for the new one.
      await page.keyboard.press('Escape');
      await page.mouse.move(700, 820);
      await page.locator('.monaco-hover', { hasText: 'not scored yet' }).waitFor({ state: 'hidden', timeout: 10_000 });
      await page.mouse.move(...turnEnd);
      await page.locator('.monaco-hover', { hasText: 'StyleTune reward of this turn' }).locator('table').waitFor({ timeout: 15_000 });
      const shot = await screenshot(page, '43-judge-inline-rated');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'judge-inline.png'));
      await page.mouse.move(700, 820);
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      // Back to the default model (the judge's settings were this file's only content): a later test that
      // scores would otherwise wait for judge ratings from a closed server.
      writeFileSync(join(workspace, '.vscode', 'settings.json'), '{}\n');
      await page.locator('.statusbar-item', { hasText: 'StyleTune default human-likeness reward' }).waitFor({ timeout: 30_000 });
      await server?.close();
      server = undefined;
    },
  },
];
