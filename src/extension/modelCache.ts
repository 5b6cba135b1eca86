/**
 * Keeps the last loaded reward model, so scoring one file after another does not rebuild the ONNX
 * session each time, and reloads it when the file on disk changes (a retrained model under the same name).
 * A replaced model is disposed only once no running command still uses it.
 */
import { stat } from 'node:fs/promises';
import { RewardModel } from '../core/reward/model';

interface Entry {
  file: string;
  mtimeMs: number;
  /** The promise is cached, not the model, so two commands started together share one load. */
  model: Promise<RewardModel>;
  users: number;
  replaced: boolean;
}

export interface ModelLease {
  model: RewardModel;
  /** Whether this call loaded the file (for the log) rather than reusing the cached model. */
  loaded: boolean;
  release(): void;
}

export class ModelCache {
  private entry: Entry | undefined;

  async acquire(file: string): Promise<ModelLease> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch {
      throw new Error(`reward model not found: ${file}`);
    }
    let entry = this.entry;
    const loaded = !(entry && entry.file === file && entry.mtimeMs === mtimeMs);
    if (loaded) {
      this.clear();
      entry = { file, mtimeMs, model: RewardModel.load(file), users: 0, replaced: false };
      this.entry = entry;
    }
    const e = entry!;
    e.users++;
    let model: RewardModel;
    try {
      model = await e.model;
    } catch (err) {
      e.users--;
      if (this.entry === e) this.entry = undefined;
      throw err;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      e.users--;
      disposeIfUnused(e);
    };
    return { model, loaded, release };
  }

  /** Forgets the cached model; it is disposed now or when its last user releases it. */
  clear(): void {
    const old = this.entry;
    this.entry = undefined;
    if (!old) return;
    old.replaced = true;
    disposeIfUnused(old);
  }
}

function disposeIfUnused(e: Entry): void {
  if (!e.replaced || e.users > 0) return;
  e.model.then((m) => m.dispose()).catch(() => undefined);
}
