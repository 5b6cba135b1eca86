/** The webview host's VS Code-free half: validation of what a page sends, and the ready queue. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeMessage, MAX_WAITING, WebviewChannel } from '../../src/extension/webviewChannel';
import { isViewMessage, type HostMessage, type ViewMessage } from '../../webview/preview/protocol';

/** A channel on the preview's real protocol, recording what it sends, hands on, logs and fails with. */
function channel(receive: (m: ViewMessage) => void | Promise<unknown> = () => undefined) {
  const sent: HostMessage[] = [];
  const received: string[] = [];
  const invalid: string[] = [];
  const failed: string[] = [];
  const c = new WebviewChannel<ViewMessage, HostMessage>({
    name: 'Preview',
    validate: isViewMessage,
    receive: (m) => {
      received.push(m.type);
      return receive(m);
    },
    send: (m) => sent.push(m),
    invalid: (what) => invalid.push(what),
    fail: (err) => failed.push(err.message),
  });
  return { c, sent, received, invalid, failed };
}

/** Only `id` matters here: the channel passes host messages through as they are. */
const state = (id: number): HostMessage => ({ type: 'state', state: { id, status: 'generating' } as Extract<HostMessage, { type: 'state' }>['state'] });
const ids = (sent: HostMessage[]) => sent.map((m) => m.state.id);

test('messages posted before the page says ready wait, and go out in order, before ready is handed on', () => {
  const order: string[] = [];
  const { c, sent } = channel((m) => {
    order.push(`receive ${m.type} after ${sent.length} sent`);
  });
  c.post(state(1));
  c.post(state(2));
  assert.deepEqual(sent, []);
  assert.equal(c.pending, 2);
  assert.equal(c.ready, false);
  c.receive({ type: 'ready' });
  assert.deepEqual(ids(sent), [1, 2]);
  assert.deepEqual(order, ['receive ready after 2 sent']);
  assert.equal(c.pending, 0);
  c.post(state(3));
  assert.deepEqual(ids(sent), [1, 2, 3], 'after ready, posts go out at once');
});

test('a page that never says ready holds at most MAX_WAITING messages, the newest', () => {
  const { c, sent } = channel();
  for (let i = 0; i < MAX_WAITING + 5; i++) c.post(state(i));
  assert.equal(c.pending, MAX_WAITING);
  c.receive({ type: 'ready' });
  assert.equal(sent.length, MAX_WAITING);
  assert.deepEqual(ids(sent).slice(0, 2), [5, 6]);
  assert.equal(ids(sent).at(-1), MAX_WAITING + 4);
});

test('an invalid message is described for the log, counted, and never handed on nor taken as ready', () => {
  const { c, sent, received, invalid } = channel();
  c.post(state(1));
  c.receive({ type: 'append!' });
  c.receive('ready');
  c.receive({ kind: 'ready' });
  c.receive(null);
  assert.deepEqual(received, []);
  assert.equal(c.invalidCount, 4);
  assert.deepEqual(invalid, ['{"type":"append!"}', '"ready"', '{"kind":"ready"}', 'null']);
  assert.deepEqual(sent, [], 'an invalid ready lets nothing out');
  assert.equal(c.ready, false);
});

test('describeMessage cuts long messages to 200 characters and survives what JSON cannot write', () => {
  assert.equal(describeMessage({ text: 'y'.repeat(1000) }).length, 200);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(describeMessage(cyclic), '[object Object]');
  assert.equal(describeMessage(undefined), 'undefined');
});

test("a handler's throw and its rejection are both reported, and the channel goes on", async () => {
  let n = 0;
  const { c, failed, received } = channel((m) => {
    n++;
    if (m.type === 'append') throw new Error('sync failure');
    if (m.type === 'regenerate') return Promise.reject(new Error('async failure'));
    return undefined;
  });
  c.receive({ type: 'append' });
  c.receive({ type: 'regenerate' });
  c.receive({ type: 'openLabeler' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(failed, ['sync failure', 'async failure']);
  assert.deepEqual(received, ['append', 'regenerate', 'openLabeler']);
  assert.equal(n, 3);
});

test('a page whose owner resends everything on ready gets nothing from before it, then everything at once', () => {
  const sent: HostMessage[] = [];
  const c = new WebviewChannel<ViewMessage, HostMessage>({
    name: 'Preview',
    validate: isViewMessage,
    receive: (m) => {
      if (m.type === 'ready') c.post(state(9));
    },
    resendsOnReady: true,
    send: (m) => sent.push(m),
    invalid: () => undefined,
    fail: () => undefined,
  });
  c.post(state(1));
  c.post(state(2));
  assert.equal(c.pending, 0);
  c.receive({ type: 'ready' });
  assert.deepEqual(ids(sent), [9]);
  c.post(state(10));
  assert.deepEqual(ids(sent), [9, 10]);
});
