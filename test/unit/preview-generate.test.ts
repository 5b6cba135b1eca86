/**
 * generatePreview against the real worker: a tiny model made by the trainer and a LoRA adapter with
 * random (non-zero) weights made by PEFT, so base and tuned replies really differ.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildGenConfig, generatePreview } from '../../src/core/preview';
import { venvPython, workerEnv } from '../../src/core/worker';
import { repoRoot } from './paths';

const python = venvPython(repoRoot);
const MAKE_ADAPTER = `
import sys, torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
peft.save_pretrained(sys.argv[2])
`;

describe('generatePreview (real worker, tiny model)', () => {
  let dir: string;
  let tiny: string;
  let adapter: string;
  before(() => {
    if (!existsSync(python)) throw new Error(`${python} missing: run \`bash scripts/setup-python.sh\` first`);
    dir = mkdtempSync(join(tmpdir(), 'styletune-preview-gen-'));
    tiny = join(dir, 'tiny');
    adapter = join(dir, 'adapter');
    const env = workerEnv({ repoRoot });
    execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', tiny], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(python, ['-c', MAKE_ADAPTER, tiny, adapter], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('base then tuned, from the same seed; the adapter changes the reply', async () => {
    const seen: string[] = [];
    const cfg = buildGenConfig({ model: tiny, adapter, prompt: [{ role: 'user', content: 'ugh mondays' }], maxNewTokens: 12, seed: 5, temperature: 0 });
    const out = await generatePreview(cfg, { python, repoRoot, onSample: (side) => seen.push(side) });
    assert.ok('base' in out, JSON.stringify(out));
    assert.deepEqual(seen, ['base', 'tuned']);
    assert.equal(out.base.seed, 5);
    assert.equal(out.tuned.seed, 5);
    assert.equal(out.base.source, 'base');
    assert.equal(out.tuned.source, 'adapter');
    assert.notEqual(out.base.text, out.tuned.text, 'a non-zero LoRA changes greedy decoding of a random model');
  });

  test('an abort stops the worker and reports a cancellation', async () => {
    const abort = new AbortController();
    const cfg = buildGenConfig({ model: tiny, adapter, prompt: 'hi', maxNewTokens: 4 });
    const out = await generatePreview(cfg, {
      python,
      repoRoot,
      signal: abort.signal,
      onSample: (side) => {
        if (side === 'base') abort.abort();
      },
    });
    assert.deepEqual(out, { cancelled: true });
    // Aborted before starting: no worker at all.
    assert.deepEqual(await generatePreview(cfg, { python, repoRoot, signal: abort.signal }), { cancelled: true });
  });

  test('a worker error comes back with its message and log', async () => {
    const cfg = buildGenConfig({ model: tiny, adapter: join(dir, 'no-such-adapter'), prompt: 'hi', maxNewTokens: 2 });
    const out = await generatePreview(cfg, { python, repoRoot });
    assert.ok('error' in out);
    assert.match(out.error, /no adapter_config\.json/);
    assert.ok(Array.isArray(out.log));
  });
});
