/**
 * Inline annotations as a user sees them: open transcript.md, the assistant turns carry their reward
 * and top traits after the line, hovering one shows the per-trait table; a JSONL file shows each line's
 * in a CodeLens above it with a gutter mark (unlabeled candidates: each one's reward and the spread), and
 * a file of other speakers asks whose turns to score; the status bar names the model and clicking it
 * offers the models to choose from.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from '../paths';
import type { UiTest } from './run';
import { explorerItem, openFromExplorer, runCommand, screenshot } from './workbench';

/**
 * The inline texts the editor renders. Decorations' `after` text is CSS generated content (::after),
 * which is not in the DOM's text: read it from the computed styles of the editor's spans.
 */
export function renderedAnnotations(page: Page): Promise<string[]> {
  // A string, not a function: this file is type-checked without the DOM library.
  return page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('.monaco-editor .view-line span')) {
      const content = getComputedStyle(el, '::after').content;
      if (content && content.includes('reward')) out.push(JSON.parse(content));
    }
    return out;
  })()`);
}

/**
 * The end of transcript.md's first assistant line, where a hover opens to the right and leaves the
 * annotations readable.
 */
export async function firstAssistantTurnEnd(page: Page): Promise<[number, number]> {
  const box = await page.locator('.monaco-editor .view-line span span', { hasText: 'hiking sat' }).last().boundingBox();
  if (!box) throw new Error('the first assistant turn is not on screen');
  return [box.x + box.width - 8, box.y + box.height / 2];
}

/** Waits until the rendered annotations satisfy `ok` (`what` says what was expected, for the error). */
export async function waitForAnnotations(page: Page, ok: (seen: string[]) => boolean, what: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await renderedAnnotations(page);
    if (ok(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`expected ${what}, saw ${seen.length}: ${JSON.stringify(seen)}`);
    await page.waitForTimeout(250);
  }
}

export const annotationsTests: UiTest[] = [
  {
    name: 'transcript.md shows inline annotations on its assistant turns and a hover with every trait',
    async run(page) {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
      // The panel (Problems, Output) may be open from earlier tests; the picture wants the editor.
      await runCommand(page, 'View: Hide Panel', 5_000).catch(() => page.keyboard.press('Escape'));
      await page.locator('.explorer-folders-view').getByRole('treeitem', { name: 'transcript.md', exact: true }).click();
      await page.locator('.tabs-container .tab.active', { hasText: 'transcript.md' }).waitFor();
      // Room for the annotations: the picture is of the editor, not the Explorer.
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      const texts = await waitForAnnotations(page, (seen) => seen.length === 5, '5 inline annotations');
      for (const t of texts) if (!/^reward [+−]\d+\.\d\d · /.test(t)) throw new Error(`unexpected annotation text: ${t}`);

      await page.mouse.move(...(await firstAssistantTurnEnd(page)));
      const hover = page.locator('.monaco-hover', { hasText: 'StyleTune reward of this turn' });
      await hover.waitFor({ timeout: 15_000 });
      await hover.locator('table').waitFor();
      const shot = await screenshot(page, 'annotations');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'annotations.png'));
      }
      await page.mouse.move(700, 820);
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    },
  },
  {
    name: 'turning inline annotations off in the settings removes them',
    async run(page, { workspace }) {
      // The user settings of the harness's code-server (codeServer.ts: <sandbox>/user-data), where the
      // settings editor writes; a setting not there has its default (true, package.json).
      const userSettings = join(dirname(workspace), 'user-data', 'User', 'settings.json');
      const written = (): unknown => {
        try {
          return (JSON.parse(readFileSync(userSettings, 'utf8')) as Record<string, unknown>)['styletune.inlineAnnotations'] ?? true;
        } catch {
          return undefined; // not there yet, or caught mid-write
        }
      };
      const toggle = async () => {
        await runCommand(page, 'Preferences: Open User Settings');
        // The settings editor opens (as a modal here) with its search box focused.
        const settings = page.locator('.settings-editor');
        await settings.locator('.settings-header').waitFor();
        await page.keyboard.type('styletune.inlineAnnotations');
        // Clicked before the search settles, the click can land on a row that is being replaced.
        await settings.getByText('1 Setting Found').waitFor();
        const checkbox = settings.locator('.setting-item-bool', { hasText: 'Inline Annotations' }).locator('.setting-value-checkbox');
        const before = await checkbox.getAttribute('aria-checked');
        await checkbox.click();
        await settings.locator(`.setting-value-checkbox[aria-checked="${before === 'true' ? 'false' : 'true'}"]`).waitFor();
        // The settings editor writes a change after a short delay; closing it sooner drops the change. So
        // wait for the file to hold it (a fixed pause assumed the machine's speed).
        const want = before !== 'true';
        for (const end = Date.now() + 15_000; written() !== want; await page.waitForTimeout(100)) {
          if (Date.now() > end) throw new Error(`the settings editor did not write styletune.inlineAnnotations: ${want} to ${userSettings}`);
        }
        // Escape clears the search first, then closes the editor.
        for (let i = 0; i < 5 && (await settings.isVisible()); i++) {
          await page.keyboard.press('Escape');
          await page.waitForTimeout(200);
        }
      };
      await toggle();
      await page.locator('.tabs-container .tab.active', { hasText: 'transcript.md' }).waitFor();
      await waitForAnnotations(page, (seen) => seen.length === 0, 'no inline annotations');
      await screenshot(page, 'annotations-off');
      // And back on, for whatever runs next.
      await toggle();
      await waitForAnnotations(page, (seen) => seen.length === 5, '5 inline annotations');
    },
  },
  {
    name: 'a JSONL file of other speakers asks whose turns to score; then each line shows its reward in a CodeLens with a gutter mark',
    async run(page, { workspace }) {
      // Real topical-chat dialogues: speakers agent_1 and agent_2, none of them `assistant`.
      const shared = process.env.STYLETUNE_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data');
      const lines = readFileSync(join(shared, 'topical-chat', 'dialogues.jsonl'), 'utf8').split('\n').slice(0, 40);
      writeFileSync(join(workspace, 'topical-chat.jsonl'), `${lines.join('\n')}\n`);
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
      await explorerItem(page, 'topical-chat.jsonl').waitFor({ timeout: 30_000 });
      await openFromExplorer(page, 'topical-chat.jsonl');
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');

      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'has no turns by "assistant"' });
      await toast.waitFor({ timeout: 30_000 });
      await toast.getByText('Speakers found: agent_1, agent_2').waitFor();
      const lenses = page.locator('.monaco-editor .codelens-decoration');
      await lenses.filter({ hasText: 'no turns by "assistant" to score (speakers: agent_1, agent_2)' }).first().waitFor();
      const rolesShot = await screenshot(page, 'annotations-jsonl-roles');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) copyFileSync(rolesShot, join(repoRoot, 'media', 'screenshots', 'annotations-roles.png'));

      // One click: styletune.role = agent_1 for the workspace, and every line is scored.
      await toast.getByRole('button', { name: 'Score agent_1' }).click();
      await toast.waitFor({ state: 'hidden' });
      const scored = lenses.filter({ hasText: /^\S*\s*reward [+−]\d+\.\d\d · / });
      await scored.nth(4).waitFor({ timeout: 30_000 });
      // Monaco keeps the widgets of lines scrolled out of view, hidden: only the ones on screen count.
      const stale = page.locator('.monaco-editor .codelens-decoration:visible', { hasText: 'no turns by' });
      for (let i = 0; (await stale.count()) > 0; i++) {
        if (i > 60) throw new Error('lines on screen still say there are no turns to score');
        await page.waitForTimeout(250);
      }
      // Gutter marks are decorations, drawn apart from the CodeLenses: wait for them too, not one look.
      await page.locator('.monaco-editor .cgmr').nth(4).waitFor({ timeout: 15_000 }).catch(() => undefined);
      const marks = await page.locator('.monaco-editor .cgmr').count();
      if (marks < 5) throw new Error(`expected a gutter mark on each scored line on screen, saw ${marks}`);
      // A JSONL line ends far off screen: nothing of the annotation may sit after it any more.
      if ((await renderedAnnotations(page)).length !== 0) throw new Error('a JSONL annotation is still rendered after the end of its line');

      // Clicking a lens opens the line's per-trait table.
      await scored.nth(1).locator('a').first().click();
      const hover = page.locator('.monaco-hover', { hasText: 'StyleTune reward of this dialogue' });
      await hover.locator('table').waitFor({ timeout: 15_000 });
      const shot = await screenshot(page, 'annotations-jsonl');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
        mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
        copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'annotations-jsonl.png'));
      }
      await page.keyboard.press('Escape');
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      // The next tests see the sample workspace as it was, and score assistant turns again.
      await runCommand(page, 'View: Close All Editors');
      rmSync(join(workspace, 'topical-chat.jsonl'));
      const settingsFile = join(workspace, '.vscode', 'settings.json');
      if (existsSync(settingsFile)) {
        const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
        delete settings['styletune.role'];
        writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
      }
    },
  },
  {
    name: 'unlabeled candidates show each one’s reward and the spread in a CodeLens; a click opens the best-vs-worst table',
    async run(page, { workspace }) {
      // The labeler's own unlabeled lines, in a file that opens as text (a *.pairs.jsonl opens in the labeler).
      writeFileSync(join(workspace, 'candidates.jsonl'), readFileSync(join(repoRoot, 'samples', 'workspace', 'demo.pairs.jsonl')));
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close All Editors');
      await explorerItem(page, 'candidates.jsonl').waitFor({ timeout: 30_000 });
      await openFromExplorer(page, 'candidates.jsonl');
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      const lenses = page.locator('.monaco-editor .codelens-decoration', { hasText: /best #\d − worst #\d \+\d+\.\d\d \(#1 [+−]\d+\.\d\d, #2 / });
      await lenses.nth(4).waitFor({ timeout: 30_000 });
      const three = await lenses.nth(2).innerText();
      if (!/\(#1 [+−]\d+\.\d\d, #2 [+−]\d+\.\d\d, #3 [+−]\d+\.\d\d\) · /.test(three)) throw new Error(`the three-candidate line should list three rewards: ${three}`);
      await page.locator('.monaco-editor .cgmr').nth(4).waitFor({ timeout: 15_000 }).catch(() => undefined);
      const marks = await page.locator('.monaco-editor .cgmr').count();
      if (marks < 5) throw new Error(`expected a gutter mark on each candidate line, saw ${marks}`);
      await lenses.nth(2).locator('a').first().click();
      const hover = page.locator('.monaco-hover', { hasText: 'StyleTune reward of these candidates' });
      await hover.locator('table').waitFor({ timeout: 15_000 });
      await hover.getByText(/Best #\d/).first().waitFor();
      const shot = await screenshot(page, 'annotations-candidates');
      if (process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) copyFileSync(shot, join(repoRoot, 'media', 'screenshots', 'annotations-candidates.png'));
      await page.keyboard.press('Escape');
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      await runCommand(page, 'View: Close All Editors');
      rmSync(join(workspace, 'candidates.jsonl'));
    },
  },
  {
    name: 'the status bar names the reward model; clicking it offers the models to choose from',
    async run(page) {
      const item = page.locator('.statusbar-item', { hasText: 'StyleTune default human-likeness reward' });
      await item.waitFor();
      await item.click();
      await page.locator('.quick-input-widget', { hasText: 'Choose Reward Model' }).waitFor();
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Default model' }).waitFor();
      await screenshot(page, 'choose-reward-model');
      await page.keyboard.press('Escape');
    },
  },
];
