/**
 * What every `styletune` command shares, so a new one is its options, its help and its body:
 *
 *   const usage = usageFor(HELP);                             // usage('needs --out') → a UsageError with the help
 *   const { values, positionals } = parseCommand(argv, { out: { type: 'string' } }, HELP);
 *   if (values.help) return writeHelp(stdout, HELP);          // exit 0
 *   if (!values.out) throw usage('needs --out FILE');        // `<prefix>: needs --out FILE`, the help, exit 2
 *
 * runCommand turns a UsageError into its text on stderr and exit code 2; main.ts runs every command
 * through it (prefix `styletune`), and `tune` and `pairs`, which print under their own name and can be
 * called directly (tests), run their bodies through it too. Exit codes: EXIT below.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../core/score';
import { PythonNotFoundError, resolveWorker, type WorkerPython } from '../core/worker/python';

/** 0 done, 1 a problem with the data or a run that failed (the rest still done), 2 a usage mistake, 130 stopped by Ctrl-C. */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

export interface Writer {
  write(s: string): unknown;
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A usage mistake: printed as `<prefix>: <message>`, then the command's help when it has one; exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly help?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The usage errors of a command whose mistakes are followed by its help. */
export function usageFor(help: string): (message: string) => UsageError {
  return (message) => new UsageError(message, help);
}

/**
 * A number option: undefined when not given; the usage mistake `--<name> must be <what>, got <value>`
 * when it is not a finite number that passes `check`. An empty value is refused, except with
 * `blankIsZero`, where it reads as 0 (Number('')), as fit and judge have always taken it.
 */
export function numberOption(
  values: Values, name: string, check: (n: number) => boolean, what: string, usage: (message: string) => Error, o: { blankIsZero?: boolean } = {},
): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if ((!o.blankIsZero && String(v).trim() === '') || !Number.isFinite(n) || !check(n)) throw usage(`--${name} must be ${what}, got ${String(v)}`);
  return n;
}

/** node:util's parseArgs, as every command calls it: strict, positionals allowed, -h/--help added. */
export interface ParseError {
  code?: string;
  message: string;
}

/**
 * Parses a command's arguments; an unknown option or a missing value is a UsageError followed by the
 * help. `reword` gives a command that words these its own way (tune) its message.
 */
export function parseCommand(argv: string[], options: OptionSpecs, help: string, reword?: (e: ParseError) => string): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (err) {
    const e = err as ParseError;
    throw new UsageError(reword ? reword(e) : e.message, help);
  }
}

/** `text` with one newline at its end. */
function line(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

/** `--help`: the help on stdout, exit 0. */
export function writeHelp(out: Writer, help: string): number {
  out.write(line(help));
  return EXIT.ok;
}

/** What a usage mistake prints. */
export function usageText(prefix: string, e: UsageError): string {
  return line(`${prefix}: ${e.message}${e.help ? `\n\n${e.help}` : ''}`);
}

/**
 * Runs a command's body: its exit code, or 2 after writing a UsageError under `prefix`. `otherwise`
 * may handle other errors (write them and return a code); what it leaves is thrown on to main.ts, which
 * prints `styletune: <message>` and exits 1.
 */
export async function runCommand(prefix: string, stderr: Writer, body: () => Promise<number> | number, otherwise?: (e: unknown) => number | undefined): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(usageText(prefix, e));
      return EXIT.usage;
    }
    const code = otherwise?.(e);
    if (code !== undefined) return code;
    throw e;
  }
}

/**
 * The interpreter and trainer for a command that runs the worker (`--python`, else STYLETUNE_PYTHON,
 * else the install's .venv), or undefined after writing why not to `stderr` (the caller exits 1).
 */
export async function workerPython(
  command: string,
  o: { explicit?: string; env: NodeJS.ProcessEnv; cwd: string; stderr: Writer },
): Promise<WorkerPython | undefined> {
  try {
    return await resolveWorker({ explicit: o.explicit, env: o.env, cwd: o.cwd, installDir: __dirname });
  } catch (e) {
    if (!(e instanceof PythonNotFoundError)) throw e;
    o.stderr.write(`styletune ${command}: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return undefined;
  }
}

/** The shipped reward model, searched upward from the running code (dist/ in the bundle, out/src/cli in tests). */
export function defaultModel(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const p = join(dir, DEFAULT_MODEL_RELATIVE_PATH);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) throw new Error(`default reward model not found (${DEFAULT_MODEL_RELATIVE_PATH}); pass --model`);
  }
}
