// Packs the extension into a VSIX for one platform, the file a user installs (Extensions: Install from VSIX…,
// or `code --install-extension`).
//   node scripts/package.mjs                          for this machine's platform (e.g. linux-x64)
//   node scripts/package.mjs --target win32-x64 --out styletune-win32-x64.vsix
//
// What ships is .vscodeignore's list (bundles, the default model, media, the trainer's package) plus
// onnxruntime-node, a native addon esbuild cannot bundle. Its npm package carries binaries for every
// platform (~290 MB); a VSIX for one target keeps only that target's (linux-x64: ~45 MB).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const target = arg('target') ?? `${process.platform}-${process.arch}`;
const [platform, arch] = target.split('-');
const out = resolve(arg('out') ?? join(root, `${manifest.name}-${manifest.version}-${target}.vsix`));

// onnxruntime-node's binaries live in bin/napi-v*/<platform>/<arch>/. In a .vscodeignore a `!` line
// includes whatever else matches, so the target's folder is added rather than the others excluded.
const bin = join(root, 'node_modules', 'onnxruntime-node', 'bin');
const folders = readdirSync(bin).flatMap((napi) => readdirSync(join(bin, napi)).flatMap((p) => readdirSync(join(bin, napi, p)).map((a) => ({ napi, target: `${p}-${a}`, path: `${napi}/${p}/${a}` }))));
const include = folders.filter((f) => f.target === `${platform}-${arch}`).map((f) => `!node_modules/onnxruntime-node/bin/${f.path}/**`);
if (include.length === 0) {
  console.error(`onnxruntime-node has no binaries for ${target}; it has: ${[...new Set(folders.map((f) => f.target))].join(', ')}`);
  process.exit(1);
}

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

const tmp = mkdtempSync(join(tmpdir(), 'styletune-package-'));
try {
  const ignoreFile = join(tmp, '.vscodeignore');
  writeFileSync(ignoreFile, `${readFileSync(join(root, '.vscodeignore'), 'utf8')}\n# ${target}'s onnxruntime binaries (scripts/package.mjs)\n${include.join('\n')}\n`);
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  // No repository URL is published yet: README links stay relative rather than pointing at a guessed host.
  execFileSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--no-rewrite-relative-links'], {
    cwd: root,
    stdio: 'inherit',
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${out} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
