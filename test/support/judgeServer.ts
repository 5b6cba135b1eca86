/**
 * A real OpenAI-compatible chat-completions server on 127.0.0.1 for judge tests: deterministic answers
 * computed from the request, and failure modes chosen by markers in the conversation text:
 *
 *   #malformed   content is not JSON              #wrongcount  31 ratings instead of 32
 *   #429         first attempt 429 + Retry-After   #500then     first attempt 500, then a good answer
 *   #always500   every attempt 500                 #slow        answers after 3 s (for timeouts)
 *   #notchat     a 200 body that is not a chat completion
 *
 * Ratings: statement 1 is 5 when SPEAKER says "lol", else 1; the others are fixed by a hash of the
 * transcript. Checklist answers: an item is true when the first "quoted" word in it occurs as a whole
 * word in SPEAKER's lines (case-insensitive). Every request is counted, so tests can assert that cached runs send none.
 *
 *   const server = await startJudgeServer();  … server.url (…/v1), server.requests, await server.close()
 *   node out/test/support/judgeServer.js [port]   (prints the URL; for trying the commands by hand)
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JudgeServer {
  url: string;
  /** Chat-completion requests received, including failed attempts. */
  requests: number;
  /** Authorization headers seen, in order. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export async function startJudgeServer(port = 0): Promise<JudgeServer> {
  const attempts = new Map<string, number>();
  const state: JudgeServer = { url: '', requests: 0, authorizations: [], close: async () => undefined };
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    state.requests++;
    state.authorizations.push(req.headers.authorization);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { role: string; content: string }[] };
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
    const transcript = user.slice(user.indexOf('Conversation:\n') + 'Conversation:\n'.length);
    const key = createHash('sha256').update(user).digest('hex');
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);

    const reply = (content: string) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `chatcmpl-${state.requests}`, object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    };
    if (transcript.includes('#429') && attempt === 1) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { message: 'rate limited' } }));
      return;
    }
    if ((transcript.includes('#500then') && attempt === 1) || transcript.includes('#always500')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'internal error' } }));
      return;
    }
    if (transcript.includes('#slow')) await new Promise((r) => setTimeout(r, 3000));
    if (transcript.includes('#notchat')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    if (transcript.includes('#malformed')) return reply('Sure! Here are my ratings: 5, 4, 3');
    const speaker = transcript
      .split('\n')
      .filter((l) => l.startsWith('SPEAKER: '))
      .join('\n')
      .toLowerCase();
    if (system.includes('"answers"')) {
      const items = user.slice(user.indexOf('Checklist:\n') + 11, user.indexOf('\n\nConversation:')).split('\n');
      const answers = items.map((item) => {
        const word = /"([^"]+)"/.exec(item)?.[1];
        return word !== undefined && new RegExp(`\\b${word.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(speaker);
      });
      return reply(JSON.stringify({ answers }));
    }
    const hash = createHash('sha256').update(transcript).digest();
    const ratings = Array.from({ length: 32 }, (_, i) => 1 + (hash[i] % 5));
    ratings[0] = /\blol\b/.test(speaker) ? 5 : 1;
    if (transcript.includes('#wrongcount')) ratings.pop();
    reply('```json\n' + JSON.stringify({ ratings }) + '\n```');
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

if (require.main === module) {
  void startJudgeServer(Number(process.argv[2] ?? 0)).then((s) => process.stdout.write(`${s.url}\n`));
}
