import { distance } from 'fastest-levenshtein';
import { RegistryError, UsageError } from '../errors.js';
import { isValidRepoId } from './is-valid-repo-id.js';
import type { ModelEntry } from './model-entry-schema.js';
import type { RegisteredModel, Registry } from './registry.js';

/** What a model name typed by the user points at; the hub layer turns it into a snapshot. */
export interface ModelRef {
  /** The registry name, when the input matched an entry. */
  name?: string;
  /** `org/name` on the Hub. */
  repo: string;
  /** Branch, tag or commit to pull. */
  revision: string;
  /** The variant asked for, if any; otherwise the device decides. */
  variant?: string;
  /** The registry entry, when the input matched one. */
  entry?: ModelEntry;
}

/** Overrides that come from flags rather than from the model string. */
export interface ResolveModelOptions {
  /** Variant from `--variant`. */
  variant?: string;
  /** Revision from `--revision`. */
  revision?: string;
}

const MAX_SUGGESTIONS = 3;

/**
 * Resolves what the user typed — a registry name or alias (any case), or an `org/name` repo id —
 * optionally followed by `:variant` and/or `@revision`, into a {@link ModelRef}.
 */
export function resolveModel(
  registry: Registry,
  input: string,
  options: ResolveModelOptions = {},
): ModelRef {
  const parsed = splitInput(input);
  const variant = pick('variant', parsed.variant, options.variant, input);
  const revision = pick('revision', parsed.revision, options.revision, input);

  if (parsed.base.includes('/')) {
    if (!isValidRepoId(parsed.base)) {
      throw new UsageError(
        `'${parsed.base}' is not a valid Hub repo id: use org/name with letters, digits, '-', '_' and '.' (no '--' or '..').`,
        { code: 'bad-repo-id' },
      );
    }
    const known = findByRepo(registry, parsed.base);
    if (known === undefined) return { repo: parsed.base, revision: revision ?? 'main', variant };
    return refFor(known, revision, variant);
  }

  const known = findByName(registry, parsed.base.toLowerCase());
  if (known === undefined) throw unknownModel(registry, parsed.base);
  return refFor(known, revision, variant);
}

interface ParsedInput {
  base: string;
  variant?: string;
  revision?: string;
}

/** Splits `base[:variant][@revision]`, suffixes in either order (repo ids and git refs never hold ':'). */
function splitInput(input: string): ParsedInput {
  let rest = input.trim();
  if (rest === '') throw new UsageError('No model given. Pass a model name or an org/name repo id.');
  let variant: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    const tail = rest.slice(colon + 1);
    const at = tail.indexOf('@');
    variant = at === -1 ? tail : tail.slice(0, at);
    rest = rest.slice(0, colon) + (at === -1 ? '' : tail.slice(at));
    if (variant === '') {
      throw new UsageError(`'${input}' has an empty variant after ':'. Write name:variant, e.g. qwen2.5-0.5b:q4.`);
    }
  }
  let revision: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (revision === '') {
      throw new UsageError(`'${input}' has an empty revision after '@'. Write name@revision, e.g. org/name@main.`);
    }
  }
  return { base: rest, variant, revision };
}

function pick(
  what: 'variant' | 'revision',
  fromInput: string | undefined,
  fromFlag: string | undefined,
  input: string,
): string | undefined {
  if (fromInput !== undefined && fromFlag !== undefined && fromInput !== fromFlag) {
    throw new UsageError(
      `'${input}' asks for ${what} '${fromInput}' but --${what} says '${fromFlag}'. Give the ${what} once.`,
    );
  }
  return fromInput ?? fromFlag;
}

function refFor(
  model: RegisteredModel,
  revision: string | undefined,
  variant: string | undefined,
): ModelRef {
  return {
    name: model.name,
    repo: model.entry.repo,
    revision: revision ?? model.entry.revision,
    variant,
    entry: model.entry,
  };
}

function findByName(registry: Registry, name: string): RegisteredModel | undefined {
  const direct = registry.models.get(name);
  if (direct !== undefined) return direct;
  for (const model of registry.models.values()) {
    if (model.entry.aliases.includes(name)) return model;
  }
  return undefined;
}

/** Hub repo ids are case-insensitive, so `Onnx-Community/...` still finds its entry. */
function findByRepo(registry: Registry, repo: string): RegisteredModel | undefined {
  const wanted = repo.toLowerCase();
  for (const model of registry.models.values()) {
    if (model.entry.repo.toLowerCase() === wanted) return model;
  }
  return undefined;
}

function unknownModel(registry: Registry, typed: string): RegistryError {
  const suggestions = suggestNames(registry, typed);
  const didYouMean =
    suggestions.length === 0 ? '' : ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?`;
  return new RegistryError(
    `Model '${typed}' is not in the registry.${didYouMean} Run \`owm list --available\`, or pass an org/name repo id.`,
    { code: 'unknown-model' },
  );
}

/**
 * Names close to what was typed: punctuation is ignored ("qwen25" → "qwen2.5-0.5b"), prefixes
 * count as matches, and other names must be within a third of their length in edit distance.
 */
function suggestNames(registry: Registry, typed: string): string[] {
  const wanted = squash(typed);
  if (wanted === '') return [];
  const best = new Map<RegisteredModel, { candidate: string; prefix: boolean; cost: number }>();
  for (const model of registry.models.values()) {
    for (const candidate of [model.name, ...model.entry.aliases]) {
      const squashed = squash(candidate);
      const prefix = squashed.startsWith(wanted) || wanted.startsWith(squashed);
      const cost = distance(wanted, squashed);
      const tolerance = Math.max(1, Math.floor(Math.max(wanted.length, squashed.length) / 3));
      if (!prefix && cost > tolerance) continue;
      const previous = best.get(model);
      if (previous === undefined || rank({ prefix, cost }) < rank(previous)) {
        best.set(model, { candidate, prefix, cost });
      }
    }
  }
  return [...best.values()]
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_SUGGESTIONS)
    .map((match) => match.candidate);
}

function rank(match: { prefix: boolean; cost: number }): number {
  return (match.prefix ? 0 : 1000) + match.cost;
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}
