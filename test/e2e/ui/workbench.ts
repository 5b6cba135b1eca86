/** Driving the web workbench from Playwright: what every UI test does the same way. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { repoRoot, screenshotsDir } from '../paths';

/** A file or folder row of the Explorer. */
export function explorerItem(page: Page, name: string): Locator {
  return page.locator('.explorer-folders-view').getByRole('treeitem', { name, exact: true });
}

/** Shows a file the test has just written: the Explorer's Refresh, then its row (the file watcher may lag). */
export async function refreshExplorerFor(page: Page, name: string): Promise<void> {
  await page.locator('.explorer-folders-view').hover();
  await page.getByRole('button', { name: 'Refresh Explorer' }).click();
  await explorerItem(page, name).waitFor();
}

/** Brings the Explorer into the side bar when another view (the Jobs view, search…) holds it. */
export async function showExplorer(page: Page): Promise<void> {
  if (await page.locator('.explorer-folders-view').isVisible()) return;
  await runCommand(page, 'View: Show Explorer');
  await page.locator('.explorer-folders-view').waitFor();
}

/** Opens a file by clicking it in the Explorer and waits for its tab. */
export async function openFromExplorer(page: Page, name: string): Promise<void> {
  await showExplorer(page);
  await explorerItem(page, name).click();
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
}

/**
 * F1, type the title, Enter. The palette lists what the workbench knows when it opens, and extensions
 * register a few seconds after the window appears: so look again until the command shows up.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  // The highlighted row, which Enter runs: a near match listed first must not run instead.
  const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title });
  for (;;) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 5_000 });
      // One input event, like a paste: typing key by key costs seconds here, and filters the same way.
      // Short timeout: while the workbench is briefly inert (a modal on its way out) the palette refuses
      // input, and pressing F1 again once it is gone works.
      await input.fill(`>${title}`, { timeout: 5_000 });
      await row.waitFor({ timeout: 2_000 });
      // Enter goes where the focus is: something that took it meanwhile (a webview loading) got the key and
      // the command was lost (a full run: Close All Editors left every tab open). So only while the focus is
      // in the palette (its input, or its list, which takes Enter too).
      const focused = await input.evaluate((el) => !!el.closest('.quick-input-widget')?.contains(el.ownerDocument.activeElement));
      if (!focused) throw new Error(`the palette lost the focus before "${title}" ran`);
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
    }
  }
  await page.keyboard.press('Enter');
}

/**
 * Developer: Reload Window, back once the new workbench is up. Until the old page is gone it still answers
 * every locator (an inspector's rows, a job view's step), so a wait for what a view shows after the
 * reload could pass on the old page, or fail when the page goes mid-read: a mark set on the old window
 * tells them apart. (Strings, not functions: this file is type-checked without the DOM library.)
 */
export async function reloadWindow(page: Page, timeoutMs = 60_000): Promise<void> {
  const mark = `styletune-reload-${Date.now()}`;
  await page.evaluate(`window.styletuneReloadMark = ${JSON.stringify(mark)}`);
  await runCommand(page, 'Developer: Reload Window');
  const deadline = Date.now() + timeoutMs;
  // The palette's Enter can run nothing (closeAllEditors): still the old page 20 s later, ask again.
  let again = Date.now() + 20_000;
  // While the page navigates, evaluate can fail: that is still the old page as far as this wait goes.
  while ((await page.evaluate('window.styletuneReloadMark').catch(() => mark)) === mark) {
    if (Date.now() > deadline) throw new Error('the window did not reload');
    if (Date.now() > again) {
      again = Date.now() + 20_000;
      await runCommand(page, 'Developer: Reload Window').catch(() => undefined);
    }
    await page.waitForTimeout(100);
  }
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
}

/**
 * Closes every editor and waits until no tab is left. The palette's Enter was seen once to run nothing
 * (every tab still open 15 s later, no dialog), so a command that changed nothing is run again.
 */
export async function closeAllEditors(page: Page, attempts = 3): Promise<void> {
  const tab = page.locator('.tabs-container .tab').first();
  for (let i = 1; ; i++) {
    await runCommand(page, 'View: Close All Editors');
    try {
      await tab.waitFor({ state: 'detached', timeout: 5_000 });
      return;
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

/**
 * Opens a workspace file by its path with Go to File (Ctrl+P), as a keyboard user does: unlike a click in
 * the Explorer it does not depend on which folders are expanded, or on a new file having reached the tree.
 */
export async function openByPath(page: Page, relativePath: string, timeoutMs = 30_000): Promise<void> {
  const name = relativePath.split('/').pop()!;
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ timeout: 5_000 });
      await input.fill(relativePath, { timeout: 5_000 });
      await row.waitFor({ timeout: 3_000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
    }
  }
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
}

/**
 * A screenshot of the whole workbench in test-results/screenshots/<name>.png; returns its path. `keep`:
 * also the documentation's copy, media/screenshots/<name>.png, when STYLETUNE_E2E_UPDATE_SCREENSHOTS is set.
 */
export async function screenshot(page: Page, name: string, opts: { keep?: boolean } = {}): Promise<string> {
  const file = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file });
  if (opts.keep && process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) {
    mkdirSync(join(repoRoot, 'media', 'screenshots'), { recursive: true });
    copyFileSync(file, join(repoRoot, 'media', 'screenshots', `${name}.png`));
  }
  return file;
}

/**
 * Right-clicks `name` in the Explorer and opens the "StyleTune" submenu; returns the submenu's entries.
 * The menu lists what the workbench knows when it opens: until the extension's contributions arrive
 * (seconds after the window shows), look again.
 */
export async function openStyleTuneMenu(page: Page, name: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const submenu = page.locator('.context-view .monaco-menu').first().locator('.action-label', { hasText: /^StyleTune$/ });
  for (;;) {
    await showExplorer(page);
    await explorerItem(page, name).click({ button: 'right' });
    try {
      await submenu.waitFor({ timeout: 2_000 });
      await submenu.hover();
      // The submenu opens beside the first menu, as a second menu in the same context view.
      await page.locator('.context-view .monaco-menu').nth(1).waitFor({ timeout: 2_000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
      await page.waitForTimeout(500);
    }
  }
  const labels = await page.locator('.context-view .monaco-menu').nth(1).locator('.action-label').allTextContents();
  return labels.map((l) => l.trim()).filter(Boolean);
}

/** Runs `entry` of the StyleTune submenu of `name`'s Explorer context menu. */
export async function runFromStyleTuneMenu(page: Page, name: string, entry: string): Promise<void> {
  const entries = await openStyleTuneMenu(page, name);
  if (!entries.includes(entry)) throw new Error(`the StyleTune menu of ${name} has no "${entry}": ${entries.join(', ')}`);
  const item = page.locator('.context-view .monaco-menu').nth(1).locator('.action-label', { hasText: entry }).first();
  await item.click();
  // A click that lands while the menu is still animating in can be ignored: click until it closes.
  for (let i = 0; i < 5 && (await item.isVisible()); i++) {
    await page.waitForTimeout(300);
    if (await item.isVisible()) await item.click().catch(() => undefined);
  }
}

/**
 * The innermost frame of the webview whose page shows `text` in `selector` (a webview is an iframe in
 * an iframe; its page is the frame that has the element). Waits for it up to `timeoutMs`.
 */
export async function frameWith(page: Page, selector: string, text: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.locator(selector, { hasText: text }).count().catch(() => 0)) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows "${text}" in ${selector}`);
    await page.waitForTimeout(250);
  }
}

/** The UI tests wait as every test does: for the state they need (webviews update asynchronously). */
export { until } from '../../support/until';
