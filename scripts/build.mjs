// Builds the shipped bundles with esbuild (extension, CLI) and, with --tests, emits the tests with tsc.
//   node scripts/build.mjs            bundles into dist/
//   node scripts/build.mjs --tests    also type-checks and emits src/, test/, benchmarks/ into out/
//                                     and type-checks webview/ (browser code, bundled into dist/webview/)
//   node scripts/build.mjs --watch    rebuilds the bundles on change
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

// onnxruntime-node is a native addon and vscode is provided by the host: neither can be bundled.
const external = ['vscode', 'onnxruntime-node'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external,
  // jsonc-parser's main build is UMD, whose factory requires its own files at run time, where a bundle
  // has none of them; its ES module build bundles like any other.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  logLevel: 'warning',
};

const builds = [
  // extension host and CLI: Node, CommonJS
  { ...common, entryPoints: [join(root, 'src/extension/extension.ts')], outfile: join(root, 'dist/extension.js') },
  {
    ...common,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/cli.js'),
    banner: { js: '#!/usr/bin/env node' },
  },
  // reward fitting on a worker thread (src/core/reward/fitThread.ts): its own file, as threads load files
  { ...common, entryPoints: [join(root, 'src/core/reward/fitWorker.ts')], outfile: join(root, 'dist/fitWorker.js') },
  // the inspector's scoring threads (src/core/inspectPool.ts)
  { ...common, entryPoints: [join(root, 'src/core/inspectWorker.ts')], outfile: join(root, 'dist/inspectWorker.js') },
];

// Each webview/<name>/main.ts becomes dist/webview/<name>.js (browser code, one file per view).
for (const name of readdirSync(join(root, 'webview'), { withFileTypes: true })) {
  const entry = join(root, 'webview', name.name, 'main.ts');
  if (!name.isDirectory() || !existsSync(entry)) continue;
  builds.push({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: [entry],
    outfile: join(root, `dist/webview/${name.name}.js`),
  });
}

function copyAssets() {
  // The spelling dictionary is data, not code: bundles find it next to themselves in dist/dict.
  mkdirSync(join(root, 'dist/dict'), { recursive: true });
  for (const ext of ['aff', 'dic']) {
    cpSync(join(root, `node_modules/dictionary-en/index.${ext}`), join(root, `dist/dict/en.${ext}`));
  }
  cpSync(join(root, 'node_modules/dictionary-en/license'), join(root, 'dist/dict/LICENSE'));
}

if (args.has('--watch')) {
  copyAssets();
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAssets();
  if (args.has('--tests')) {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit' });
    execFileSync(process.execPath, [tsc, '-p', join(root, 'webview')], { stdio: 'inherit' });
  }
}
