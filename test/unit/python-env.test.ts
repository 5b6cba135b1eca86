/**
 * The trainer's own environment (src/core/worker/pythonEnv.ts), made for real with the machine's
 * Python: a venv, the pinned pip, and the requirements of a pyproject.toml. The trainer's real
 * requirements (torch…, ~5 GB) are too big for a unit test, so a trainer folder made here pins one
 * small wheel built on the spot; everything else is the code path the extension runs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTrainerEnv, findBasePython, trainerEnvReady, trainerRequirements, venvPython } from '../../src/core/worker';
import { repoRoot } from './paths';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-pyenv-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pure-Python wheel with one module, `name`, built with the standard library's zipfile. */
function buildWheel(name: string, version: string): string {
  const wheel = join(dir, `${name}-${version}-py3-none-any.whl`);
  const script = `
import sys, zipfile
name, version, out = sys.argv[1:]
info = f"{name}-{version}.dist-info"
files = {
  f"{name}.py": "VALUE = 42\\n",
  f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
  f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
with zipfile.ZipFile(out, "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
    z.writestr(f"{info}/RECORD", "".join(f"{p},,\\n" for p in [*files, f"{info}/RECORD"]))
`;
  execFileSync('python3', ['-c', script, name, version, wheel]);
  return wheel;
}

function trainerDir(requirements: string[]): string {
  const t = join(dir, 'trainer');
  mkdirSync(t, { recursive: true });
  writeFileSync(join(t, 'pyproject.toml'), `[project]\nname = "t"\ndependencies = [\n${requirements.map((r) => `  "${r}",`).join('\n')}\n]\n\n[project.optional-dependencies]\ntest = ["pytest==9.2.0"]\n`);
  return t;
}

describe('trainer requirements', () => {
  test("reads the trainer's exact pins from trainer/pyproject.toml, not the optional ones", () => {
    const reqs = trainerRequirements(readFileSync(join(repoRoot, 'trainer', 'pyproject.toml'), 'utf8'));
    for (const pkg of ['torch', 'transformers', 'peft', 'accelerate', 'safetensors']) {
      assert.ok(reqs.some((r) => r.startsWith(`${pkg}==`)), `${pkg} pinned in ${reqs.join(', ')}`);
    }
    assert.ok(reqs.every((r) => /^[\w.-]+==[\w.+-]+$/.test(r)), `every requirement is an exact pin: ${reqs.join(', ')}`);
    assert.ok(!reqs.some((r) => r.startsWith('pytest')), 'test extras are not installed for users');
  });

  test('a pyproject without a dependencies list is an error, not an empty environment', () => {
    assert.throws(() => trainerRequirements('[project]\nname = "x"\n'), /no dependencies list/);
  });
});

describe('base Python', () => {
  test('finds Python 3.10+ on PATH', async () => {
    const search = await findBasePython();
    assert.ok(search.found, `found one among ${search.tried.join(', ')}`);
    const [major, minor] = search.found.version.split('.').map(Number) as [number, number];
    assert.ok(major > 3 || (major === 3 && minor >= 10), search.found.version);
    assert.ok(existsSync(search.found.path));
  });

  test('says what it looked for when PATH has no Python', async () => {
    const empty = join(dir, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const search = await findBasePython({ ...process.env, PATH: empty });
    assert.equal(search.found, undefined);
    assert.deepEqual(search.tried, process.platform === 'win32' ? ['py', 'python', 'python3'] : ['python3', 'python']);
  });
});

describe('making the environment', () => {
  test('a venv with the pinned requirements, ready until the pins change; a cancel leaves it not ready', async () => {
    const base = (await findBasePython()).found!;
    const trainer = trainerDir([buildWheel('styletune_tiny_dep', '1.0')]);
    const target = join(dir, 'env');
    const lines: string[] = [];
    assert.equal(trainerEnvReady(target, trainer), undefined);

    const python = await createTrainerEnv({ dir: target, trainerDir: trainer, basePython: base.path, onLine: (l) => lines.push(l) });
    assert.equal(python, venvPython(target));
    assert.equal(execFileSync(python, ['-c', 'import styletune_tiny_dep; print(styletune_tiny_dep.VALUE)'], { encoding: 'utf8' }).trim(), '42');
    assert.equal(execFileSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8' }).split(' ')[1], '26.3', 'the pinned pip');
    assert.equal(trainerEnvReady(target, trainer), python);
    assert.ok(lines.some((l) => /Successfully installed.*styletune[-_]tiny[-_]dep-1\.0/i.test(l)), `pip's lines reach onLine:\n${lines.join('\n')}`);

    // New pins (an extension update): not ready until installed again.
    trainerDir([buildWheel('styletune_tiny_dep', '1.1')]);
    assert.equal(trainerEnvReady(target, trainer), undefined);
    const abort = new AbortController();
    const run = createTrainerEnv({ dir: target, trainerDir: trainer, basePython: base.path, signal: abort.signal, onLine: () => abort.abort() });
    await assert.rejects(run, /cancelled/);
    assert.equal(trainerEnvReady(target, trainer), undefined, 'a cancelled install is not ready');
    await createTrainerEnv({ dir: target, trainerDir: trainer, basePython: base.path });
    assert.equal(trainerEnvReady(target, trainer), python);
    assert.match(execFileSync(python, ['-m', 'pip', 'show', 'styletune_tiny_dep'], { encoding: 'utf8' }), /Version: 1\.1/);
  });
});
