import type { OwmPaths } from '../config.js';
import { OwmError } from '../errors.js';
import type { Device } from '../registry/model-entry-schema.js';
import type { SessionSettings } from '../runtime/create-session.js';
import { WorkerEmbedder } from '../runtime/embedding/worker-embedder.js';
import { LocalModel, type Concurrency } from '../runtime/local-model.js';
import { findModel, type FoundModel, type ModelPurpose } from './find-model.js';
import { modelKindOf, type ModelKind } from './model-kind.js';

/** How the manager loads models and how long it keeps them. */
export interface ModelManagerOptions {
  paths: OwmPaths;
  /** The device variants are chosen for. */
  device: Device;
  session: SessionSettings;
  concurrency: Concurrency;
  /** How long an idle model stays loaded, in ms: 0 unloads it as soon as it is idle; Infinity never. */
  keepAliveMs: number;
  /** News about loads and unloads, for a server log. */
  onEvent?: (event: ModelEvent) => void;
}

/** Something the manager did, as plain data. */
export type ModelEvent =
  | { type: 'loading'; name: string }
  | { type: 'loaded'; name: string; ms: number }
  | { type: 'unloaded'; name: string; reason: 'idle' | 'removed' | 'shutdown' };

/** A loaded model: a chat model (its own worker thread) or an embedding model. */
export type LoadedModel = LocalModel | WorkerEmbedder;

/** A model lent to one request; `release` gives it back (safe to call twice), optionally with its own keep-alive in ms. */
export interface ModelLease<Model extends LoadedModel = LocalModel> {
  model: Model;
  /** The name the model is known by (the preload alias, the registry name or the repo id). */
  name: string;
  found: FoundModel;
  /** How long this request waited for the model to load (0 when it was loaded). */
  loadMs: number;
  release(keepAliveMs?: number): void;
}

/** A model the manager holds, loaded or loading. */
export interface HeldModel {
  name: string;
  found: FoundModel;
  /** Requests using it now. */
  users: number;
  /** Preloaded with `--model`: kept loaded whatever the keep-alive. */
  pinned: boolean;
  /** When an idle model will be unloaded (ms since the epoch); undefined while in use or pinned. */
  expiresAt?: number;
  /** Undefined while still loading. */
  model?: LoadedModel;
}

interface Entry extends HeldModel {
  key: string;
  loading: Promise<LoadedModel>;
  timer?: NodeJS.Timeout;
}

/**
 * Loads, keeps and unloads models for a server, with no terminal in sight: a request names a model
 * (a preload alias, a registry name or an `org/name` already pulled — never a path), the manager
 * loads it once and shares it, and unloads it after `keepAliveMs` idle, as Ollama's scheduler does.
 */
export class ModelManager {
  private readonly aliases = new Map<string, FoundModel>();
  private readonly aliasKinds = new Map<string, ModelKind>();
  private readonly entries = new Map<string, Entry>();
  /** The entry key each name a request used resolved to: a loaded model is not looked up in the cache again. */
  private readonly keysByName = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: ModelManagerOptions) {}

  /** Loads `found` now and keeps it loaded under `alias`, whatever the keep-alive. */
  async preload(alias: string, found: FoundModel): Promise<void> {
    const kind = await modelKindOf(found);
    this.aliases.set(alias, found);
    this.aliasKinds.set(alias, kind);
    const lease = await this.lend(alias, kind);
    const entry = this.entries.get(keyOf(lease.found, kind));
    if (entry) entry.pinned = true;
    lease.release();
  }

  /** The preload aliases, with what each names. */
  get preloaded(): ReadonlyMap<string, FoundModel> {
    return this.aliases;
  }

  /** The models held now (for `/api/ps`). */
  held(): HeldModel[] {
    return [...this.entries.values()].map(({ name, found, users, pinned, expiresAt, model }) => ({ name, found, users, pinned, expiresAt, model }));
  }

  /** Finds what a request's model name points at, without loading it; a registry entry of the other `purpose` is an error. */
  async find(name: string, purpose: ModelPurpose = 'any'): Promise<FoundModel> {
    const alias = this.aliases.get(name);
    const aliasKind = this.aliasKinds.get(name);
    if (alias && aliasKind !== undefined && purpose !== 'any' && purpose !== aliasKind) {
      const use = aliasKind === 'embedding' ? 'the embeddings endpoints (/v1/embeddings, /api/embed)' : 'the chat and generate endpoints';
      throw new OwmError(`Model '${name}' is ${aliasKind === 'embedding' ? 'an embedding' : 'a chat'} model: use it with ${use}.`, { code: 'wrong-model-kind' });
    }
    if (alias) return alias;
    if (/^[./~]/.test(name) || name.includes('\\')) {
      throw new OwmError(`Model '${name}' is not known here: requests name a model, not a path. Preload a folder with \`owm serve --model NAME=PATH\`.`, { code: 'not-found' });
    }
    return findModel({ model: name, device: this.options.device, paths: this.options.paths, allowPath: false, purpose });
  }

  /** Lends the chat model `name` names, loading it first when it is not loaded. */
  acquire(name: string): Promise<ModelLease> {
    return this.lend(name, 'chat') as Promise<ModelLease<LocalModel>>;
  }

  /** Lends the embedding model `name` names, loading it first when it is not loaded. */
  acquireEmbedder(name: string): Promise<ModelLease<WorkerEmbedder>> {
    return this.lend(name, 'embedding') as Promise<ModelLease<WorkerEmbedder>>;
  }

  private async lend(name: string, kind: ModelKind): Promise<ModelLease<LoadedModel>> {
    if (this.closed) throw new OwmError('The server is shutting down.', { code: 'unloaded' });
    const knownKey = this.keysByName.get(`${kind}\u0000${name}`);
    let entry = knownKey === undefined ? undefined : this.entries.get(knownKey);
    if (!entry) {
      const found = await this.find(name, kind);
      const key = keyOf(found, kind);
      this.keysByName.set(`${kind}\u0000${name}`, key);
      entry = this.entries.get(key) ?? this.startLoading(key, this.aliases.has(name) ? name : found.label, found, kind);
    }
    entry.users++;
    this.cancelExpiry(entry);
    const waitStarted = performance.now();
    const wasLoaded = entry.model !== undefined;
    let model: LoadedModel;
    try {
      model = await entry.loading;
    } catch (error) {
      entry.users--;
      throw error;
    }
    let released = false;
    const held = entry;
    return {
      model,
      name: held.name,
      found: held.found,
      loadMs: wasLoaded ? 0 : performance.now() - waitStarted,
      release: (keepAliveMs) => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users === 0) this.scheduleExpiry(held, keepAliveMs ?? this.options.keepAliveMs);
      },
    };
  }

  /** Unloads every model loaded from `repo` (it was removed from the cache), waiting for their requests to stop. */
  async unloadRepo(repo: string): Promise<void> {
    const matching = [...this.entries.values()].filter((entry) => entry.found.snapshot?.repo === repo);
    await Promise.all(matching.map((entry) => this.unload(entry, 'removed')));
  }

  /** Stops every generation, unloads every model, and refuses new requests. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.values()].map((entry) => this.unload(entry, 'shutdown')));
  }

  private startLoading(key: string, name: string, found: FoundModel, kind: ModelKind): Entry {
    const { options } = this;
    const started = performance.now();
    options.onEvent?.({ type: 'loading', name });
    const entry: Entry = {
      key,
      name,
      found,
      users: 0,
      pinned: false,
      loading:
        kind === 'chat'
          ? LocalModel.load(found.location, options.session, options.concurrency)
          : WorkerEmbedder.load(found.location, options.session, found.entry?.embedding),
    };
    this.entries.set(key, entry);
    entry.loading.then(
      (model) => {
        entry.model = model;
        options.onEvent?.({ type: 'loaded', name, ms: performance.now() - started });
      },
      () => this.entries.delete(key),
    );
    return entry;
  }

  private scheduleExpiry(entry: Entry, keepAliveMs: number): void {
    if (entry.pinned || this.closed || !Number.isFinite(keepAliveMs)) return;
    entry.expiresAt = Date.now() + keepAliveMs;
    entry.timer = setTimeout(() => void this.unload(entry, 'idle'), keepAliveMs);
    entry.timer.unref();
  }

  private cancelExpiry(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.expiresAt = undefined;
  }

  private async unload(entry: Entry, reason: 'idle' | 'removed' | 'shutdown'): Promise<void> {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.cancelExpiry(entry);
    const model = await entry.loading.catch(() => undefined);
    if (!model) return;
    await model.dispose();
    this.options.onEvent?.({ type: 'unloaded', name: entry.name, reason });
  }
}

/** One loaded copy per graph and use: names that resolve to the same files share it. */
function keyOf(found: FoundModel, kind: ModelKind): string {
  return `${kind}\u0000${found.location.dir}\u0000${found.location.modelFile}`;
}
