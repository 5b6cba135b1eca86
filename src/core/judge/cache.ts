/**
 * Judge answers cached by content hash, so nothing is paid for twice: one small JSON file per answer
 * under `<dir>/<first two hex digits>/<key>.json`, each written atomically. A folder (not one JSONL)
 * lets several processes rate at once without losing each other's entries.
 *
 * The key is sha256 of the judge model, the prompt version and the transcript, so a new model or a
 * changed prompt never reuses old answers.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic';
import { sha256 } from './prompt';

export interface CacheEntry<T> {
  key: string;
  judge: string;
  prompt: string;
  value: T;
  at: string;
}

export class JudgeCache {
  hits = 0;
  misses = 0;

  constructor(readonly dir: string) {}

  static key(judgeModel: string, promptVersion: string, transcript: string, extra = ''): string {
    return sha256(`${judgeModel}\n${promptVersion}\n${extra}\n${transcript}`);
  }

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch {
      this.misses++;
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as CacheEntry<T>;
      if (entry.key === key && entry.value !== undefined) {
        this.hits++;
        return entry.value;
      }
    } catch {
      // A damaged entry is a miss: the answer is fetched again and the file replaced.
    }
    this.misses++;
    return undefined;
  }

  async put<T>(key: string, judge: string, prompt: string, value: T): Promise<void> {
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const entry: CacheEntry<T> = { key, judge, prompt, value, at: new Date().toISOString() };
    await writeFileAtomic(this.file(key), JSON.stringify(entry) + '\n');
  }
}
