/**
 * What package.json promises the workbench, checked against the code and files it names: the
 * walkthrough's steps (each has its page, completes on a context key that the extension sets somewhere,
 * and every command link runs a contributed command on a sample that exists).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './paths';

interface Step { id: string; title: string; description: string; media: { markdown?: string }; completionEvents: string[] }
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    walkthroughs: { id: string; steps: Step[] }[];
    viewsWelcome: { view: string; contents: string }[];
  };
};
const commands = new Set(manifest.contributes.commands.map((c) => c.command));
const welcomeSource = readFileSync(join(repoRoot, 'src', 'extension', 'welcome.ts'), 'utf8');

function extensionSources(dir = join(repoRoot, 'src', 'extension')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? extensionSources(path) : name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** Every `command:id?args` link in a piece of markdown. */
function commandLinks(markdown: string): { id: string; args?: unknown[] }[] {
  return [...markdown.matchAll(/\(command:([\w.]+)(?:\?([^)\s]+))?\)/g)].map((m) => ({ id: m[1], args: m[2] ? (JSON.parse(decodeURIComponent(m[2])) as unknown[]) : undefined }));
}

test('the walkthrough lists the steps welcome.ts knows, in order, each with its page and a context key to complete it', () => {
  const [walkthrough] = manifest.contributes.walkthroughs;
  assert.equal(walkthrough.id, /WALKTHROUGH_ID = '(\w+)'/.exec(welcomeSource)?.[1]);
  const known = [.../WELCOME_STEPS = \[([^\]]+)\]/.exec(welcomeSource)![1].matchAll(/'(\w+)'/g)].map((m) => m[1]);
  assert.deepEqual(walkthrough.steps.map((s) => s.id), known);
  for (const step of walkthrough.steps) {
    assert.deepEqual(step.completionEvents, [`onContext:styletune.welcome.${step.id}`], step.id);
    assert.ok(step.media.markdown && existsSync(join(repoRoot, step.media.markdown)), `${step.id}: ${step.media.markdown} is missing`);
  }
});

test('every walkthrough step is completed by some code of the extension, not by its button alone', () => {
  const code = extensionSources().join('\n');
  for (const step of manifest.contributes.walkthroughs[0].steps) {
    // welcomeDone('x') where the thing happens, completes('x', command), or the labels' counter.
    const marked = code.includes(`welcomeDone('${step.id}')`) || code.includes(`completes('${step.id}'`) || (step.id === 'label' && code.includes('welcomeLabeled()'));
    assert.ok(marked, `nothing sets styletune.welcome.${step.id}`);
  }
});

test('every command link of the walkthrough, its pages and the empty Jobs view runs a contributed command on a sample that exists', () => {
  const texts = [
    ...manifest.contributes.walkthroughs[0].steps.flatMap((s) => [s.description, readFileSync(join(repoRoot, s.media.markdown!), 'utf8')]),
    ...manifest.contributes.viewsWelcome.map((v) => v.contents),
  ];
  const links = texts.flatMap(commandLinks);
  assert.ok(links.length >= 16, `only ${links.length} command links`);
  for (const link of links) {
    assert.ok(commands.has(link.id), `command:${link.id} is not contributed`);
    if (link.id === 'styletune.openSample') {
      const [file, action] = link.args as [string, string?];
      assert.ok(existsSync(join(repoRoot, 'samples', 'workspace', file)), `no sample ${file}`);
      assert.ok(action === undefined || ['open', 'label', 'inspect', 'score', 'fit', 'vote'].includes(action), `unknown action ${action}`);
    }
  }
});

interface MenuItem { command?: string; submenu?: string; when?: string; group?: string }
const menus = (manifest.contributes as unknown as { menus: Record<string, MenuItem[]> }).menus;
/** The regular expressions of a when clause (`resourceFilename =~ /…/i`), as JavaScript sees them. */
function whenRegexes(when: string): RegExp[] {
  return [...when.matchAll(/=~ \/((?:\\\/|[^/])+)\/(\w*)/g)].map((m) => new RegExp(m[1], m[2]));
}

test('the Explorer and editor context menus hold one StyleTune submenu, not the commands themselves', () => {
  for (const where of ['explorer/context', 'editor/context']) {
    assert.deepEqual(menus[where].map((m) => m.submenu ?? m.command), ['styletune.context'], where);
  }
  const sub = menus['styletune.context'].map((m) => m.command);
  for (const c of ['styletune.scoreCurrentFile', 'styletune.openInspector', 'styletune.labelPairs', 'styletune.fitRewardModel', 'styletune.blindVote', 'styletune.voteReport']) assert.ok(sub.includes(c), c);
});

test('vote commands are offered on items and votes files only, the rest not on votes files', () => {
  const when = (c: string) => menus['styletune.context'].find((m) => m.command === c)!.when!;
  const matches = (c: string, name: string) => whenRegexes(when(c)).some((r) => r.test(name));
  for (const name of ['items.jsonl', 'chat.items.jsonl', 'base.outputs.jsonl']) assert.ok(matches('styletune.blindVote', name), name);
  for (const name of ['dialogues.jsonl', 'demo.pairs.jsonl', 'pairs.jsonl', 'style-pairs.jsonl']) {
    assert.ok(!matches('styletune.blindVote', name), `Blind Vote offered on ${name}`);
    assert.ok(!matches('styletune.voteReport', name), `Vote Report offered on ${name}`);
  }
  assert.ok(matches('styletune.voteReport', 'items.votes.jsonl'));
  // A votes file is voted on through its items file: Blind Vote, Label and the rest exclude it.
  for (const m of menus['styletune.context'].filter((x) => x.command !== 'styletune.voteReport' && x.when?.includes('.jsonl'))) {
    assert.match(m.when!, /!\(resourceFilename =~ \/\\\.votes\\\.jsonl\$\/i\)/, m.command);
  }
});

test('JSONL editors get Score, Inspect and Label in their title bar, each with an icon', () => {
  const title = menus['editor/title'].filter((m) => m.command?.startsWith('styletune.'));
  assert.deepEqual(title.map((m) => m.command), ['styletune.scoreCurrentFile', 'styletune.openInspector', 'styletune.labelPairs']);
  for (const m of title) {
    assert.match(m.when!, /resourceExtname == \.jsonl/);
    assert.ok((manifest.contributes.commands as { command: string; icon?: string }[]).find((c) => c.command === m.command)?.icon, `${m.command} has no icon`);
  }
});
