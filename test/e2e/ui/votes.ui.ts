/**
 * A blind vote session as a user works it: open votes/items.jsonl, F1 "StyleTune: Blind Human-likeness
 * Vote", vote on all five comparisons from the keyboard (letters, arrows, Shift, 1/2/Enter, T, one undo),
 * check the votes file line by line, see the identities revealed, press R for the report, check the
 * report's figures against ones worked out by hand, and see both views come back after a window reload.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { loadItems } from '../../../src/core/votes/items';
import { repoRoot, screenshotsDir } from '../paths';
import type { UiTest } from './run';
import { explorerItem, frameWith, runCommand } from './workbench';

const ITEMS = 'votes/items.jsonl';

interface Item {
  id: string;
  prompt: string | Array<{ role: string; content: string }>;
  responses: Record<string, string>;
}

/**
 * What this voter does per item: the system to pick (or a tie) and how the keys say it.
 *   coffee  tuned, then 1 (likely)          rain  tuned, with Shift (certainly)
 *   tired   tuned, then Enter (no answer)   movie tie (T)
 *   plans   base, then 2 (certainly)
 * So tuned wins 3, ties 1, loses 1: (3 + 0.5) / 5 = 70.0 %, base 30.0 %; Wilson 95 % for 0.7 of 5 is
 * [29.9 %, 92.7 %] and for 0.3 of 5 [7.3 %, 70.1 %]. The shipped model prefers tuned on every sample item
 * but movie (the unit tests pin that), so of the 4 decisive votes it agrees on coffee, rain and tired,
 * not plans: 75.0 %, Wilson [30.1 %, 95.4 %].
 */
const PLAN: Record<string, { pick: string; how: 'likely' | 'shift' | 'enter' | 'tie' | 'certainly' }> = {
  coffee: { pick: 'tuned', how: 'likely' },
  rain: { pick: 'tuned', how: 'shift' },
  tired: { pick: 'tuned', how: 'enter' },
  movie: { pick: 'tie', how: 'tie' },
  plans: { pick: 'base', how: 'certainly' },
};

/** The vote page or the report page: the frame whose header starts with `title`. */
function viewFrame(page: Page, title: string, timeoutMs = 30_000): Promise<Frame> {
  return frameWith(page, 'header h1', title, timeoutMs);
}

async function waitText(l: Locator, text: string | RegExp): Promise<void> {
  await l.filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function firstTurn(item: Item): string {
  return typeof item.prompt === 'string' ? item.prompt : item.prompt[0].content;
}

function keepForReadme(shot: string, name: string): void {
  if (!process.env.STYLETUNE_E2E_UPDATE_SCREENSHOTS) return;
  const target = join(repoRoot, 'media', 'screenshots', name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(shot, target);
}

export const votesTests: UiTest[] = [
  {
    name: 'blind vote by keyboard: five comparisons, one undo, the votes file, the reveal, the report’s figures, a reload',
    async run(page, ctx) {
      const items = readFileSync(join(ctx.workspace, ITEMS), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Item);
      const byFirstTurn = new Map(items.map((i) => [firstTurn(i), i]));
      const started = Date.now();

      // The file opened in an editor (which also focuses the workbench when this test runs alone), then the
      // command from the palette: it acts on the active file.
      const folder = explorerItem(page, 'votes');
      await folder.waitFor({ timeout: 30_000 });
      if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
      await explorerItem(page, 'items.jsonl').click();
      await page.locator('.tabs-container .tab.active', { hasText: 'items.jsonl' }).waitFor();
      await runCommand(page, 'View: Single Column Editor Layout');
      if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Hide Panel');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'StyleTune: Blind Human-likeness Vote');
      const view = await viewFrame(page, 'Blind vote');
      const progress = view.locator('#progress');
      await waitText(progress, '0 / 5');
      await view.locator('main').click({ position: { x: 5, y: 5 } });

      const shown: Array<{ item: Item; a: string; b: string }> = [];
      let undone = false;
      let shotTaken = false;
      for (let n = 0; n < 5; n++) {
        await waitText(progress, `${n} / 5`);
        const first = (await view.locator('.turn .content').first().innerText()).trim();
        const item = byFirstTurn.get(first);
        check(item !== undefined, `the prompt shown ("${first}") is one of the items`);
        const textA = (await view.locator('#card-a .response').innerText()).trim();
        const textB = (await view.locator('#card-b .response').innerText()).trim();
        const systemOf = (text: string) => Object.keys(item!.responses).find((s) => item!.responses[s] === text);
        const a = systemOf(textA);
        const b = systemOf(textB);
        check(a !== undefined && b !== undefined && a !== b, `both replies of ${item!.id} are shown (A=${a}, B=${b})`);
        // Blind: no system name anywhere on the page while voting.
        const pageText = await view.locator('main').innerText();
        check(!/\b(base|tuned)\b/.test(pageText), `a system name is visible while voting:\n${pageText}`);
        shown.push({ item: item!, a: a!, b: b! });

        const plan = PLAN[item!.id];
        const side = plan.pick === a ? 'A' : 'B';
        // Letters for A/B on even steps, arrows on odd ones: both must work.
        const sideKey = n % 2 === 0 ? side : side === 'A' ? 'ArrowLeft' : 'ArrowRight';
        if (plan.how === 'tie') await page.keyboard.press('t');
        else if (plan.how === 'shift') await page.keyboard.press(`Shift+${sideKey}`);
        else {
          await page.keyboard.press(sideKey);
          await waitText(view.locator('#pending'), `Reply ${side} picked. How sure are you?`);
          await waitText(view.locator(`#card-${side.toLowerCase()} .tag`), 'your pick');
          if (n >= 1 && !shotTaken) {
            shotTaken = true;
            await page.screenshot({ path: join(screenshotsDir, 'votes.png') });
          }
          await page.keyboard.press(plan.how === 'likely' ? '1' : plan.how === 'certainly' ? '2' : 'Enter');
        }
        await waitText(progress, `${n + 1} / 5`);
        if (n === 1 && !undone) {
          // Take the second vote back: the same comparison, same sides, comes again.
          undone = true;
          await page.keyboard.press('u');
          await waitText(progress, '1 / 5');
          const again = (await view.locator('#card-a .response').innerText()).trim();
          check(again === textA, 'undo shows the same comparison with the same sides');
          shown.pop();
          n--;
        }
      }
      keepForReadme(join(screenshotsDir, 'votes.png'), 'votes.png');

      // The reveal: every comparison with its systems named, and this voter's picks per system.
      await waitText(view.locator('#done'), 'All 5 comparisons voted');
      check((await view.locator('#reveal tbody tr').count()) === 5, 'five revealed rows');
      await waitText(view.locator('#tally [data-system="tuned"] .figure'), '3.5 of 5');
      await waitText(view.locator('#tally [data-system="base"] .figure'), '1.5 of 5');
      await page.screenshot({ path: join(screenshotsDir, 'votes-reveal.png') });

      // The votes file: exactly five lines (the undone vote is gone), each as the keys said.
      const votesPath = join(ctx.workspace, 'votes', 'items.votes.jsonl');
      const lines = readFileSync(votesPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      check(lines.length === 5, `five votes in the file, got ${lines.length}`);
      const annotator = userInfo().username;
      const sessions = new Set(lines.map((l) => l.session));
      check(sessions.size === 1 && lines.every((l) => Number.isInteger(l.seed)), 'one session, with its seed');
      lines.forEach((l, i) => {
        const { item, a, b } = shown[i];
        const plan = PLAN[item.id];
        const confidence = { likely: 'likely', shift: 'certainly', enter: null, tie: null, certainly: 'certainly' }[plan.how];
        const want = { item_id: item.id, systems: { A: a, B: b }, winner: plan.pick, confidence, annotator };
        const got = { item_id: l.item_id, systems: l.systems, winner: l.winner, confidence: l.confidence, annotator: l.annotator };
        check(JSON.stringify(got) === JSON.stringify(want), `vote ${i + 1}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
        const t = Date.parse(l.time);
        check(t >= started - 1000 && t <= Date.now() + 1000, `vote ${i + 1} has a time of this run`);
      });

      // R: the report, with the figures worked out above.
      await page.keyboard.press('r');
      const report = await viewFrame(page, 'Vote report');
      const row = (system: string) => report.locator(`#systems tr[data-system="${system}"]`);
      await waitText(row('tuned').locator('.rate'), '70.0 %');
      await waitText(row('tuned').locator('.interval'), '29.9 % – 92.7 %');
      await waitText(row('tuned').locator('.record'), '3–1–1');
      await waitText(row('base').locator('.rate'), '30.0 %');
      await waitText(row('base').locator('.interval'), '7.3 % – 70.1 %');
      await waitText(report.locator('#summary'), `5 votes (1 tie) by 1 annotator: ${annotator} 5`);
      await waitText(report.locator('#summary'), 'confidence: 2 certainly, 1 likely, 2 not given');
      await waitText(report.locator('#agreement'), /^75\.0 % of 4 decisive votes .*95 % interval 30\.1 % – 95\.4 %/);
      await waitText(report.locator('#prompts tr[data-item="movie"] .leader'), 'tie');
      await waitText(report.locator('#prompts tr[data-item="plans"] .leader'), 'base');
      await waitText(report.locator('#prompts tr[data-item="coffee"] .leader'), 'tuned');
      await waitText(report.locator('#notes'), 'A tie counts as half a pick for each side.');
      const shot = join(screenshotsDir, 'votes-report.png');
      await page.screenshot({ path: shot });
      keepForReadme(shot, 'votes-report.png');

      // After a window reload the report comes back (the webview kept which files it shows) …
      await runCommand(page, 'Developer: Reload Window');
      // Until the old workbench is gone its report frame still answers: wait for it to go first.
      const reloadDeadline = Date.now() + 30_000;
      while (!report.isDetached()) {
        if (Date.now() > reloadDeadline) throw new Error('the window did not reload');
        await page.waitForTimeout(100);
      }
      const revived = await viewFrame(page, 'Vote report', 60_000);
      await waitText(revived.locator('#systems tr[data-system="tuned"] .rate'), '70.0 %');
      await waitText(revived.locator('#agreement'), /^75\.0 %/);
      // … and so does the vote view, still finished, with the identities revealed.
      await page.locator('.tabs-container .tab', { hasText: 'Blind vote: items.jsonl' }).click();
      const voteAgain = await viewFrame(page, 'Blind vote', 30_000);
      await waitText(voteAgain.locator('#progress'), '5 / 5');
      await waitText(voteAgain.locator('#tally [data-system="tuned"] .figure'), '3.5 of 5');

      // Three systems: the report from the palette on a votes file adds the Bradley-Terry ratings.
      // x beats y 2:1, y beats z 2:1, x beats z 4:1: strengths 4:2:1, Elo 1120, 1000, 880 (votes.test.ts).
      const three = { id: 'q', prompt: 'hi', responses: { x: 'hey!', y: 'hello', z: 'Greetings.' } };
      const threeItems = Array.from({ length: 12 }, (_, i) => ({ ...three, id: `q${i}`, prompt: `hi ${i}` }));
      writeFileSync(join(ctx.workspace, 'votes', 'three.jsonl'), threeItems.map((i) => JSON.stringify(i) + '\n').join(''));
      const { items: loaded } = await loadItems([join(ctx.workspace, 'votes', 'three.jsonl')]);
      const games: Array<[string, string]> = [['x', 'y'], ['x', 'y'], ['y', 'x'], ['y', 'z'], ['y', 'z'], ['z', 'y'], ['x', 'z'], ['x', 'z'], ['x', 'z'], ['x', 'z'], ['z', 'x']];
      const votes3 = games.map(([w, l], i) => ({ item_id: loaded[i].id, prompt_hash: loaded[i].promptHash, systems: { A: l, B: w }, winner: w, confidence: null, annotator: 'ana', time: new Date(started + i * 1000).toISOString(), session: 's3' }));
      writeFileSync(join(ctx.workspace, 'votes', 'three.votes.jsonl'), votes3.map((v) => JSON.stringify(v) + '\n').join(''));
      await explorerItem(page, 'three.votes.jsonl').click();
      await page.locator('.tabs-container .tab.active', { hasText: 'three.votes.jsonl' }).waitFor();
      await runCommand(page, 'StyleTune: Show Vote Report');
      const ratings = await viewFrame(page, 'Vote report · three.votes.jsonl');
      await waitText(ratings.locator('#ratings tr[data-system="x"] .elo'), '1120');
      await waitText(ratings.locator('#ratings tr[data-system="y"] .elo'), '1000');
      await waitText(ratings.locator('#ratings tr[data-system="z"] .elo'), '880');
      await page.screenshot({ path: join(screenshotsDir, 'votes-report-three.png') });
    },
  },
];
