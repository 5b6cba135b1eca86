import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { firstInvalidUtf8, MAX_NESTING, nestingDepth, parseJsonlText, readJsonl, type JsonlItem, type ReadOptions } from '../../src/core/jsonl';

const dir = mkdtempSync(join(tmpdir(), 'styletune-jsonl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function fileWith(content: string | Uint8Array): string {
  const file = join(dir, `f${fileCount++}.jsonl`);
  writeFileSync(file, content);
  return file;
}

async function read(file: string, opts?: ReadOptions): Promise<JsonlItem[]> {
  const items: JsonlItem[] = [];
  for await (const item of readJsonl(file, opts)) items.push(item);
  return items;
}

/** Reads `content` from a file, at several chunk sizes, and checks they and parseJsonlText agree. */
async function readAll(content: string | Uint8Array): Promise<JsonlItem[]> {
  const file = fileWith(content);
  const items = await read(file);
  for (const chunkSize of [1, 2, 3, 7]) assert.deepEqual(await read(file, { chunkSize }), items, `chunkSize ${chunkSize}`);
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  if (typeof content === 'string') assert.deepEqual([...parseJsonlText(text, file)], items, 'parseJsonlText');
  return items;
}

function values(items: JsonlItem[]): Array<[number, unknown]> {
  return items.map((it) => {
    assert.ok('value' in it, `line ${it.line} is a diagnostic: ${'diagnostic' in it ? it.diagnostic.message : ''}`);
    return [it.line, it.value];
  });
}

function onlyDiagnostic(items: JsonlItem[]) {
  assert.equal(items.length, 1);
  const [item] = items;
  assert.ok('diagnostic' in item, 'expected a diagnostic');
  return item.diagnostic;
}

describe('readJsonl: line structure', () => {
  test('strips a byte order mark at the start of the file, and counts columns after it', async () => {
    assert.deepEqual(values(await readAll('\ufeff{"a":1}\n{"b":2}\n')), [
      [1, { a: 1 }],
      [2, { b: 2 }],
    ]);
    const d = onlyDiagnostic(await readAll('\ufeff{"a":}'));
    assert.equal(d.column, 6);
  });

  test('a byte order mark later in the file is an error, not silently skipped', async () => {
    const items = await readAll('{"a":1}\n\ufeff{"b":2}\n');
    assert.deepEqual(values(items.slice(0, 1)), [[1, { a: 1 }]]);
    assert.ok('diagnostic' in items[1] && items[1].line === 2 && items[1].diagnostic.column === 1);
  });

  test('handles CRLF line ends and a lone trailing CR', async () => {
    assert.deepEqual(values(await readAll('{"a":1}\r\n{"b":"x\\r"}\r\n{"c":3}\r')), [
      [1, { a: 1 }],
      [2, { b: 'x\r' }],
      [3, { c: 3 }],
    ]);
  });

  test('blank and whitespace-only lines yield nothing but still count', async () => {
    assert.deepEqual(values(await readAll('\n  \n{"a":1}\n\t\r\n\r\n{"b":2}\n\n')), [
      [3, { a: 1 }],
      [6, { b: 2 }],
    ]);
  });

  test('a file without a final newline keeps its last line', async () => {
    assert.deepEqual(values(await readAll('{"a":1}\n{"b":2}')), [
      [1, { a: 1 }],
      [2, { b: 2 }],
    ]);
  });

  test('an empty file, or one of only blank lines, yields nothing', async () => {
    assert.deepEqual(await readAll(''), []);
    assert.deepEqual(await readAll('\n\n \r\n'), []);
    assert.deepEqual(await readAll('\ufeff'), []);
  });

  test('lines crossing chunk boundaries, including multi-byte characters split across reads', async () => {
    const lines = [{ s: 'héllo wörld' }, { e: '😀🎉 emoji' }, { n: 12345, deep: { a: [1, 2, { b: 'ü' }] } }];
    const content = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    assert.deepEqual(
      values(await readAll(content)),
      lines.map((l, i) => [i + 1, l]),
    );
  });

  test('a 10 MB line is read whole, and the lines around it keep their numbers', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const file = fileWith(`{"a":1}\n{"big":"${big}"}\n{"b":2}\n`);
    for (const opts of [undefined, { chunkSize: 64 * 1024 }]) {
      const items = await read(file, opts);
      assert.equal(items.length, 3);
      assert.deepEqual(values([items[0], items[2]]), [
        [1, { a: 1 }],
        [3, { b: 2 }],
      ]);
      assert.ok('value' in items[1] && (items[1].value as { big: string }).big.length === big.length);
    }
  });

  test('a missing file is an Error naming the path', async () => {
    const missing = join(dir, 'nope', 'missing.jsonl');
    await assert.rejects(read(missing), (err: NodeJS.ErrnoException) => {
      assert.equal(err.message, `cannot open ${missing}: no such file`);
      assert.equal(err.code, 'ENOENT');
      return true;
    });
  });

  test('a directory is an Error, not an empty file', async () => {
    await assert.rejects(read(dir), /it is a directory/);
  });

  test('an abort signal ends the read quietly between lines', async () => {
    const file = fileWith('{"a":1}\n{"a":2}\n{"a":3}\n');
    const ac = new AbortController();
    const seen: JsonlItem[] = [];
    for await (const item of readJsonl(file, { signal: ac.signal, chunkSize: 4 })) {
      seen.push(item);
      ac.abort();
    }
    assert.equal(seen.length, 1);
    assert.deepEqual(await read(file, { signal: ac.signal }), []);
  });
});

describe('readJsonl: bad lines become diagnostics', () => {
  test('invalid UTF-8: the column of the first bad byte, counted in characters', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n{"é😀":"'), Buffer.from([0xff]), Buffer.from('"}\n{"b":2}\n')]);
    const items = await readAll(bytes);
    assert.equal(items.length, 3);
    assert.deepEqual(values([items[0], items[2]]), [
      [1, { a: 1 }],
      [3, { b: 2 }],
    ]);
    assert.ok('diagnostic' in items[1]);
    const d = items[1].diagnostic;
    assert.deepEqual(
      { line: d.line, column: d.column, message: d.message, severity: d.severity, file: d.file },
      // `{"é😀":"` is 8 UTF-16 units (the emoji takes two): the bad byte is in column 9.
      { line: 2, column: 9, message: 'invalid UTF-8 byte 0xff', severity: 'error', file: d.file },
    );
  });

  test('kinds of invalid UTF-8: truncated, overlong, surrogate, above U+10FFFF, stray continuation', async () => {
    const cases: Array<[number[], number, string]> = [
      [[0xe2, 0x82], 3, '0xe2'], // truncated by the closing quote
      [[0xc0, 0x80], 3, '0xc0'], // overlong NUL
      [[0xed, 0xa0, 0x80], 3, '0xed'], // UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], 3, '0xf4'], // above U+10FFFF
      [[0x41, 0x80], 4, '0x80'], // continuation byte with no lead
    ];
    for (const [bad, column, byte] of cases) {
      const d = onlyDiagnostic(await readAll(Buffer.concat([Buffer.from('{"'), Buffer.from(bad), Buffer.from('":1}')])));
      assert.equal(d.column, column, JSON.stringify(bad));
      assert.equal(d.message, `invalid UTF-8 byte ${byte}`);
    }
  });

  test('a real U+FFFD in the file is data, not an encoding error', async () => {
    assert.deepEqual(values(await readAll('{"a":"\ufffd"}\n')), [[1, { a: '\ufffd' }]]);
  });

  test('invalid JSON: the column where parsing failed, and a message without the location', async () => {
    const cases: Array<[string, number, string]> = [
      ['{"a":}', 6, "invalid JSON: Unexpected token '}'"],
      ['{a:1}', 2, "invalid JSON: Expected property name or '}'"],
      ['{"a":1', 7, "invalid JSON: Expected ',' or '}' after property value"],
      ['{"a": tru, "b": 2222222222222222}', 10, "invalid JSON: Unexpected token ','"],
      ['{"😀": x}', 8, "invalid JSON: Unexpected token 'x'"],
      ['  {"a": [1, 2,  ', 15, 'invalid JSON: Unexpected end of JSON input'],
      ['{"a": {"b": 1   ', 14, "invalid JSON: Expected ',' or '}' after property value"],
      ['{"a":1}{"b":2}', 8, 'invalid JSON: Unexpected non-whitespace character after JSON'],
      ['{"a":1}\r{"b":2}', 9, 'invalid JSON: Unexpected non-whitespace character after JSON'],
      ['hello', 1, "invalid JSON: Unexpected token 'h'"],
      // The V8 message quotes the line; text in it must not be mistaken for the position.
      ['{"a": x, "b": "in JSON at position 3"}', 7, "invalid JSON: Unexpected token 'x'"],
    ];
    for (const [line, column, message] of cases) {
      const d = onlyDiagnostic(await readAll(`\n${line}\n`));
      assert.deepEqual([d.line, d.column, d.message], [2, column, message], line);
    }
  });

  test('JSON that is not an object is a diagnostic', async () => {
    const cases: Array<[string, string, number]> = [
      ['[1, 2]', 'a JSON array', 1],
      ['  42', 'a JSON number', 3],
      ['"text"', 'a JSON string', 1],
      ['null', 'JSON null', 1],
      ['true', 'a JSON boolean', 1],
    ];
    for (const [line, kind, column] of cases) {
      const d = onlyDiagnostic(await readAll(line));
      assert.equal(d.message, `line is ${kind}; expected an object with \`messages\`, \`chosen\`/\`rejected\`, or \`human\`/\`ai\``);
      assert.equal(d.column, column);
    }
  });

  test('a line nested deeper than MAX_NESTING is a diagnostic at the bracket too many; the lines around it are read', async () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deep = `{"messages": [], "x": "[[[{", "by": ${nest(200_000)}}`;
    const items = await read(fileWith(`{"a":1}\n${deep}\n{"by": ${nest(MAX_NESTING - 1)}}\n{"b":2}\n`));
    assert.deepEqual(items.map((i) => i.line), [1, 2, 3, 4]);
    const bad = items[1];
    assert.ok('diagnostic' in bad);
    // The brackets inside the string do not count; the object itself is level 1.
    assert.deepEqual([bad.diagnostic.column, bad.diagnostic.message], [deep.indexOf('[[[[') + MAX_NESTING, `line nests arrays and objects more than ${MAX_NESTING} levels deep; StyleTune reads up to ${MAX_NESTING}`]);
    assert.ok('value' in items[2], 'exactly MAX_NESTING levels is fine');
    assert.deepEqual([...parseJsonlText(deep, 'f')].map((i) => 'diagnostic' in i), [true]);
  });

  test('nestingDepth counts levels without recursion, and stops past its limit', () => {
    assert.equal(nestingDepth('x'), 0);
    assert.equal(nestingDepth({ a: [1, { b: [] }], c: {} }), 4);
    let v: unknown = [];
    for (let i = 1; i < 1_000_000; i++) v = [v];
    assert.equal(nestingDepth(v), 1_000_000);
    assert.equal(nestingDepth(v, 10), 11);
  });
});

describe('firstInvalidUtf8', () => {
  test('agrees with a fatal TextDecoder on arbitrary bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const decodes = (b: Uint8Array) => {
      try {
        decoder.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    // Weighted towards the bytes around the UTF-8 range boundaries, where validators go wrong.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (arr) => {
        const bytes = Uint8Array.from(arr);
        const bad = firstInvalidUtf8(bytes);
        assert.equal(bad === -1, decodes(bytes));
        if (bad !== -1) assert.ok(decodes(bytes.subarray(0, bad)), 'prefix before the bad byte is valid');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('properties', () => {
  test('never throws on arbitrary bytes, at any chunk size', async () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x7b, 0x7d, 0x22, 0x20, 0xef, 0xbb, 0xbf));
    await fc.assert(
      fc.asyncProperty(fc.array(byte, { maxLength: 200 }), fc.integer({ min: 1, max: 16 }), async (arr, chunkSize) => {
        const bytes = Uint8Array.from(arr);
        const items = await read(fileWith(bytes), { chunkSize });
        const lineCount = arr.filter((b) => b === 0x0a).length + 1;
        let prev = 0;
        for (const item of items) {
          assert.ok(item.line > prev && item.line <= lineCount);
          prev = item.line;
        }
        if (firstInvalidUtf8(bytes) === -1) {
          assert.deepEqual([...parseJsonlText(Buffer.from(bytes).toString('utf8'), 'x')], stripFile(items));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('never drops a valid line, and gives every non-blank bad line a diagnostic', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 12 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), async (lines, finalNewline, chunkSize) => {
        const content = Buffer.concat([...lines.flatMap((l, i) => (i === 0 ? [l.bytes] : [NL, l.bytes])), finalNewline ? NL : Buffer.alloc(0)]);
        const expected: Array<{ line: number; value?: unknown }> = [];
        lines.forEach((l, i) => {
          const outcome = i === 0 && l.bomStartOk ? 'valid' : l.outcome;
          if (outcome === 'valid') expected.push({ line: i + 1, value: l.value });
          else if (outcome === 'diagnostic') expected.push({ line: i + 1 });
        });
        const items = await read(fileWith(content), { chunkSize });
        const got = items.map((it) => ('value' in it ? { line: it.line, value: it.value } : { line: it.line }));
        assert.deepEqual(got, expected);
        for (const it of items) {
          if ('diagnostic' in it) assert.ok(it.diagnostic.column >= 1 && it.diagnostic.column <= lines[it.line - 1].bytes.length + 1);
        }
        if (firstInvalidUtf8(content) === -1) {
          assert.deepEqual([...parseJsonlText(content.toString('utf8'), 'x')], stripFile(items));
        }
      }),
      { numRuns: 100 },
    );
  });
});

const NL = Buffer.from('\n');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A generated line and what the reader must make of it. `bomStartOk`: valid if it is the file's first line. */
interface GenLine {
  bytes: Buffer;
  outcome: 'valid' | 'diagnostic' | 'blank';
  value?: unknown;
  bomStartOk?: boolean;
}

const objectArb = fc
  .dictionary(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constant('\ufffd')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
  .map((o) => JSON.stringify(o));
const spaceArb = fc.constantFrom('', ' ', '\t', '  ');
// Bytes that can never appear in UTF-8, so inserting one anywhere makes the line invalid.
const neverUtf8 = fc.constantFrom(0xc0, 0xc1, 0xf5, 0xf8, 0xfe, 0xff);

const lineArb: fc.Arbitrary<GenLine> = fc.oneof(
  fc.tuple(objectArb, spaceArb, spaceArb, fc.boolean()).map(([json, pre, post, cr]) => ({
    bytes: Buffer.from(pre + json + post + (cr ? '\r' : '')),
    outcome: 'valid' as const,
    value: JSON.parse(json) as unknown,
  })),
  fc.constantFrom('', ' ', '\t', '\r', ' \t\r').map((s) => ({ bytes: Buffer.from(s), outcome: 'blank' as const })),
  fc.tuple(objectArb, neverUtf8, fc.nat()).map(([json, bad, at]) => {
    const b = Buffer.from(json);
    const i = at % (b.length + 1);
    return { bytes: Buffer.concat([b.subarray(0, i), Buffer.from([bad]), b.subarray(i)]), outcome: 'diagnostic' as const };
  }),
  objectArb.map((json) => ({ bytes: Buffer.concat([Buffer.from([0x80]), Buffer.from(json)]), outcome: 'diagnostic' as const })),
  // A BOM is only stripped at the very start of the file.
  objectArb.map((json) => ({
    bytes: Buffer.concat([BOM, Buffer.from(json)]),
    outcome: 'diagnostic' as const,
    value: JSON.parse(json) as unknown,
    bomStartOk: true,
  })),
  fc.tuple(objectArb, fc.nat()).map(([json, k]) => ({ bytes: Buffer.from(json.slice(0, 1 + (k % (json.length - 1)))), outcome: 'diagnostic' as const })),
  fc.tuple(objectArb, objectArb).map(([a, b]) => ({ bytes: Buffer.from(`${a}\r${b}`), outcome: 'diagnostic' as const })),
  fc
    .oneof(fc.array(fc.jsonValue({ maxDepth: 1 })), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean())
    .map((v) => ({ bytes: Buffer.from(JSON.stringify(v)), outcome: 'diagnostic' as const })),
);

/** The property tests compare items from different sources: drop the file name from diagnostics. */
function stripFile(items: JsonlItem[]): JsonlItem[] {
  return items.map((it) => ('diagnostic' in it ? { line: it.line, diagnostic: { ...it.diagnostic, file: 'x' } } : it));
}
