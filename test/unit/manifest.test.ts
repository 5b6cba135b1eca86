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
