/**
 * The welcome as a new user meets it: on a first start (a fresh profile with a startup editor) the "Get Started with StyleTune"
 * walkthrough opens by itself; a step's button runs the real command and the step is ticked only once
 * that command did its work (Score: the file scored), while steps not done stay open; after a reload it
 * does not open again, and `StyleTune: Get Started` brings it back with the tick kept. Then Label Pairs
 * ticks its step at the third label (not the second), and Create Tiny Test Model writes the marked tiny
 * model where tuning/tiny.tune.json expects it without ticking the tuning step (a job must start).
 *
 * The harness's `workbench.startupEditor: none` keeps it shut for every other UI test, so this test starts a
 * code-server of its own with a profile and a workspace of its own.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { openWorkbench, type Workbench } from '../browser';
import { sandboxEnv, settingsFromEnv, startCodeServer, type CodeServer } from '../codeServer';
import { repoRoot, sampleWorkspace, screenshotsDir } from '../paths';
import type { UiTest } from './run';
import { closeAllEditors, explorerItem, frameWith, openByPath, openFromExplorer, openStyleTuneMenu, reloadWindow, runCommand, screenshot } from './workbench';

const TITLE = 'Get Started with StyleTune';

const walkthrough = (page: Page): Locator => page.locator('.gettingStartedContainer', { hasText: TITLE });
/** A step's row in the walkthrough; `aria-checked` is VS Code's own "done" mark. */
const step = (page: Page, id: string): Locator => walkthrough(page).locator(`button.getting-started-step[data-step-id$="${id}"]`);

async function checked(row: Locator): Promise<boolean> {
  return (await row.getAttribute('aria-checked')) === 'true';
}

async function waitChecked(page: Page, row: Locator, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await checked(row).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`the walkthrough step "${what}" is not ticked after ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

export const welcomeTests: UiTest[] = [
  {
    name: 'welcome: the walkthrough opens on first start, Score ticks its step only after scoring, and it opens once',
    async run(_page) {
      const root = mkdtempSync(join(tmpdir(), 'styletune-welcome-'));
      const workspace = join(root, 'workspace');
      cpSync(sampleWorkspace, workspace, { recursive: true });
      let server: CodeServer | undefined;
      let wb: Workbench | undefined;
      try {
        server = await startCodeServer({
          sandbox: root,
          // A user's first start: a startup editor (the harness's quiet 'none' keeps the walkthrough shut).
          settings: { ...settingsFromEnv(), 'workbench.startupEditor': 'newUntitledFile' },
          linkExtension: repoRoot,
        });
        wb = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { env: sandboxEnv(root) });
        const page = wb.page;
        // Nobody asked for it: the extension opens it on its first activation.
        await walkthrough(page).waitFor({ timeout: 90_000 });
        for (const id of ['openSample', 'score', 'inspect', 'label', 'fit', 'tune', 'preview', 'vote']) {
          await step(page, id).waitFor();
          if (await checked(step(page, id))) throw new Error(`the step ${id} is ticked before anything was done`);
        }
        // The selected step's page (media/walkthrough/open-sample.md), rendered beside the steps.
        await frameWith(page, 'h1', 'Open a sample');
        await screenshot(page, 'welcome-01-walkthrough', { keep: true });

        await step(page, 'score').click();
        await walkthrough(page).getByRole('button', { name: 'Score Current File' }).click();
        // The real command: dialogues.jsonl opens and is scored (the summary notification offers its results).
        await page.locator('.tabs-container .tab', { hasText: 'dialogues.jsonl' }).first().waitFor({ timeout: 30_000 });
        await page.locator('.notifications-toasts .notification-toast').getByRole('button', { name: 'Open Results' }).first().waitFor({ timeout: 60_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        await waitChecked(page, step(page, 'score'), 'Score it');
        await waitChecked(page, step(page, 'openSample'), 'Open a sample');
        for (const id of ['inspect', 'label', 'fit', 'tune', 'preview', 'vote']) {
          if (await checked(step(page, id))) throw new Error(`the step ${id} is ticked although only scoring ran`);
        }
        await step(page, 'inspect').click();
        await screenshot(page, 'welcome-02-score-done', { keep: true });

        // Once: after a reload (editors closed, so none is restored) it stays shut.
        // Closed before the reload: a reload that comes first restores the Welcome tab it had open, and
        // that is not the walkthrough opening again (seen once in a full run).
        await closeAllEditors(page);
        // The workbench's own reload: its storage is flushed on the way out, as when a user reloads.
        await reloadWindow(page);
        await page.locator('.explorer-folders-view').waitFor({ timeout: 60_000 });
        await page.waitForTimeout(8_000);
        if (await walkthrough(page).count()) throw new Error('the walkthrough opened again after a reload');
        await runCommand(page, 'StyleTune: Get Started');
        await walkthrough(page).waitFor({ timeout: 30_000 });
        await waitChecked(page, step(page, 'score'), 'Score it (after the reload)', 10_000);
        await screenshot(page, 'welcome-03-reopened');

        // Label three pairs: the step's button opens demo.pairs.jsonl in the labeler; the third label ticks it.
        await step(page, 'label').click();
        await walkthrough(page).getByRole('button', { name: 'Label Pairs' }).click();
        let labeler = await frameWith(page, 'header h1', 'demo.pairs.jsonl');
        await labeler.locator('#progress', { hasText: '0 labeled / 5' }).waitFor({ timeout: 30_000 });
        await labeler.locator('main').click({ position: { x: 5, y: 5 } });
        // Item 1 and 2 have two candidates, item 3 three (ranked: two numbers, the last place implied).
        for (const [key, labeled] of [['1', 1], ['2', 2], ['1', 2], ['2', 3]] as const) {
          await page.keyboard.press(key);
          await labeler.locator('#progress', { hasText: `${labeled} labeled / 5` }).waitFor({ timeout: 15_000 });
          if (labeled === 2 && key === '2') {
            await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
            await step(page, 'label').waitFor();
            if (await checked(step(page, 'label'))) throw new Error('the label step is ticked after 2 labels');
            // A hidden webview is rendered again when shown: its frame is a new one.
            await page.locator('.tabs-container .tab', { hasText: 'demo.pairs.jsonl' }).first().click();
            labeler = await frameWith(page, 'header h1', 'demo.pairs.jsonl');
            await labeler.locator('#progress', { hasText: '2 labeled / 5' }).waitFor({ timeout: 15_000 });
            await labeler.locator('main').click({ position: { x: 5, y: 5 } });
          }
        }
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        await waitChecked(page, step(page, 'label'), 'Label three pairs', 15_000);

        // Inspect: the inspector on demo.pairs.jsonl ticks it once it has shown the file.
        await step(page, 'inspect').click();
        await walkthrough(page).getByRole('button', { name: 'Open Dataset Inspector' }).click();
        await page.locator('.tabs-container .tab.active', { hasText: 'demo.pairs.jsonl' }).waitFor({ timeout: 30_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        await waitChecked(page, step(page, 'inspect'), 'Inspect it');

        // Vote: the blind vote on votes/items.jsonl; the step waits for a vote, a tie (T) is one.
        await step(page, 'vote').click();
        await walkthrough(page).getByRole('button', { name: 'Blind Vote' }).click();
        const vote = await frameWith(page, 'header h1', 'Blind vote');
        await vote.locator('#progress', { hasText: '0 / 5' }).waitFor({ timeout: 30_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        if (await checked(step(page, 'vote'))) throw new Error('the vote step is ticked before a vote');
        await page.locator('.tabs-container .tab', { hasText: 'Blind vote' }).first().click();
        const voting = await frameWith(page, 'header h1', 'Blind vote');
        await voting.locator('main').click({ position: { x: 5, y: 5 } });
        await page.keyboard.press('t');
        await voting.locator('#progress', { hasText: '1 / 5' }).waitFor({ timeout: 15_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        await waitChecked(page, step(page, 'vote'), 'Vote', 15_000);

        // The tuning step's button makes the tiny model where tuning/tiny.tune.json expects it, marked as
        // such, and opens the job file; the step waits for a job to start.
        await step(page, 'tune').click();
        await walkthrough(page).getByRole('button', { name: 'Create Tiny Test Model' }).click();
        await page.locator('.tabs-container .tab.active', { hasText: 'tiny.tune.json' }).waitFor({ timeout: 180_000 });
        const config = JSON.parse(readFileSync(join(workspace, 'tuning', 'models', 'tiny', 'config.json'), 'utf8')) as Record<string, unknown>;
        if (config.styletune_tiny_test_model !== true) throw new Error('the tiny model is not marked as the test model');
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        if (await checked(step(page, 'tune'))) throw new Error('the tuning step is ticked before a job started');
        await frameWith(page, 'h1', 'Start a tiny tuning job');
        await screenshot(page, 'welcome-04-labeled', { keep: true });

        // The Jobs view, empty so far, offers the same starts; its Get Started brings the walkthrough forward.
        await page.locator('.activitybar .action-item .action-label[aria-label^="StyleTune"]').click();
        const empty = page.locator('.sidebar .welcome-view-content');
        await empty.getByRole('button', { name: 'Get Started' }).waitFor({ timeout: 30_000 });
        for (const link of ['score it', 'inspect it', 'label it', 'vote', 'Create Tiny Test Model']) await empty.locator('a', { hasText: link }).first().waitFor();
        await screenshot(page, 'welcome-05-jobs-view-empty', { keep: true });
        await page.locator('.tabs-container .tab', { hasText: 'tiny.tune.json' }).first().click();
        await empty.getByRole('button', { name: 'Get Started' }).click();
        await page.locator('.tabs-container .tab.active', { hasText: 'Welcome' }).waitFor({ timeout: 15_000 });

        // ▶ Start DPO Tuning on tiny.tune.json: the job launches and the step ticks; then Stop (the
        // progress notification's Cancel), so that no worker outlives the test.
        await page.locator('.tabs-container .tab', { hasText: 'tiny.tune.json' }).first().click();
        const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Start DPO Tuning' });
        await lens.waitFor({ timeout: 30_000 });
        await lens.click();
        const running = page.locator('.notifications-toasts .notification-toast', { hasText: 'StyleTune: tuning' });
        await running.waitFor({ timeout: 60_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
        await waitChecked(page, step(page, 'tune'), 'Start a tiny tuning job', 30_000);
        await running.getByRole('button', { name: 'Cancel' }).click();
        await running.waitFor({ state: 'detached', timeout: 120_000 });
      } catch (err) {
        await wb?.page.screenshot({ path: join(screenshotsDir, 'FAILED-welcome.png') }).catch(() => undefined);
        throw err;
      } finally {
        await wb?.close().catch(() => undefined);
        await server?.stop();
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'menus: one StyleTune submenu in the Explorer, vote commands only on items and votes files, Score/Inspect/Label on a JSONL editor title',
    async run(page) {
      await explorerItem(page, 'dialogues.jsonl').waitFor({ timeout: 30_000 });
      const onDialogues = await openStyleTuneMenu(page, 'dialogues.jsonl');
      // Nothing of ours left at the top level: the first menu has the submenu, not the commands.
      // (The submenu's entries sit inside the first menu's DOM, in a .monaco-submenu.)
      const top = await page.locator('.context-view .monaco-menu').first().locator('.action-label').evaluateAll((els) => els.filter((e) => !e.closest('.monaco-submenu')).map((e) => (e.textContent ?? '').trim()));
      if (!top.includes('StyleTune')) throw new Error(`no StyleTune submenu in the Explorer's menu: ${top.join(', ')}`);
      for (const ours of ['Open Dataset Inspector', 'Label Pairs', 'Fit Reward Model from This File', 'Blind Human-likeness Vote']) {
        if (top.includes(ours)) throw new Error(`"${ours}" is still in the Explorer's own menu: ${top.join(', ')}`);
      }
      for (const want of ['Score Current File', 'Open Dataset Inspector', 'Label Pairs', 'Fit Reward Model from This File', 'Build Pairs from Reward Ranking…']) {
        if (!onDialogues.includes(want)) throw new Error(`the StyleTune menu of dialogues.jsonl lacks "${want}": ${onDialogues.join(', ')}`);
      }
      for (const unwanted of ['Blind Human-likeness Vote', 'Show Vote Report', 'Preview Rewrite…', 'Create Pair from Selections']) {
        if (onDialogues.includes(unwanted)) throw new Error(`the StyleTune menu of dialogues.jsonl offers "${unwanted}"`);
      }
      await screenshot(page, 'menus-01-explorer-submenu', { keep: true });
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');

      // Expanded unless it says it is not: items.jsonl can be out of view (the tree renders only rows on
      // screen) in an expanded folder, and a click would then fold it.
      const votes = explorerItem(page, 'votes');
      if ((await votes.getAttribute('aria-expanded')) !== 'true') await votes.click();
      const onItems = await openStyleTuneMenu(page, 'items.jsonl');
      for (const want of ['Blind Human-likeness Vote', 'Show Vote Report']) {
        if (!onItems.includes(want)) throw new Error(`the StyleTune menu of votes/items.jsonl lacks "${want}": ${onItems.join(', ')}`);
      }
      await screenshot(page, 'menus-02-items-submenu');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');

      // The editor title of a JSONL file: Score, Inspect, Label as icons; Score runs the real command.
      await openFromExplorer(page, 'dialogues.jsonl');
      const actions = page.locator('.editor-group-container.active .editor-actions');
      for (const title of ['Score Current File', 'Open Dataset Inspector', 'Label Pairs']) {
        await actions.locator(`.action-label[aria-label^="${title}"]`).waitFor({ timeout: 30_000 });
      }
      await runCommand(page, 'Notifications: Clear All Notifications');
      await actions.locator('.action-label[aria-label^="Score Current File"]').click();
      await page.locator('.notifications-toasts .notification-toast').getByRole('button', { name: 'Open Results' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: 'dialogues.jsonl' }).first().click();
      await screenshot(page, 'menus-03-editor-title', { keep: true });

      // The editor's own context menu: the same submenu, with Preview Rewrite (an editor command) in it.
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.locator('.editor-group-container.active .monaco-editor .view-line').first().click({ button: 'right' });
      const editorMenu = page.locator('.context-view .monaco-menu');
      await editorMenu.first().locator('.action-label', { hasText: /^StyleTune$/ }).hover({ timeout: 15_000 });
      await editorMenu.nth(1).waitFor({ timeout: 5_000 });
      const inEditor = (await editorMenu.nth(1).locator('.action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
      for (const want of ['Score Current File', 'Open Dataset Inspector', 'Preview Rewrite…']) {
        if (!inEditor.includes(want)) throw new Error(`the editor's StyleTune menu lacks "${want}": ${inEditor.join(', ')}`);
      }
      if (inEditor.includes('Blind Human-likeness Vote')) throw new Error("the editor's StyleTune menu offers a vote on dialogues.jsonl");
      await screenshot(page, 'menus-04-editor-submenu');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
    },
  },
  {
    name: 'fit: the Use This Model offer stays until answered, also after the user went back to the editor; the answer switches the model',
    async run(page, ctx) {
      const output = join(ctx.workspace, 'tuning', 'style-pairs.reward.onnx');
      rmSync(output, { force: true });
      await openByPath(page, 'tuning/style-pairs.jsonl');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'StyleTune: Fit Reward Model from This File');
      // The save dialog (the workbench's own in the browser) suggests <name>.reward.onnx beside the file.
      const input = page.locator('.quick-input-widget input');
      const deadline = Date.now() + 15_000;
      while (!(await input.inputValue()).endsWith('style-pairs.reward.onnx')) {
        if (Date.now() > deadline) throw new Error(`the save dialog suggests "${await input.inputValue()}"`);
        await page.waitForTimeout(200);
      }
      await input.press('Enter');
      const use = page.getByRole('button', { name: 'Use This Model' });
      await use.waitFor({ timeout: 60_000 });
      // The user goes back to work: focus in the editor, the mouse away, and longer than the 10 s an
      // information toast lasts.
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.mouse.move(10, 400);
      await page.waitForTimeout(13_000);
      if (!(await use.isVisible())) throw new Error('the Use This Model offer disappeared before it was answered');
      await screenshot(page, 'fit-01-use-this-model', { keep: true });
      await use.click();
      await page.locator('.statusbar-item', { hasText: 'style-pairs.jsonl' }).waitFor({ timeout: 30_000 });
      if (!existsSync(output)) throw new Error(`${output} was not written`);
      // Back to the shipped model for the tests that follow: the answer wrote the workspace setting.
      const settingsFile = join(ctx.workspace, '.vscode', 'settings.json');
      const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
      delete settings['styletune.rewardModelPath'];
      writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
      await page.locator('.statusbar-item', { hasText: 'style-pairs.jsonl' }).waitFor({ state: 'detached', timeout: 30_000 });
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
    },
  },
];
