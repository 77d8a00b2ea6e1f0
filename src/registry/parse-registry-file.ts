import { closest, distance } from 'fastest-levenshtein';
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import type { z } from 'zod';
import { RegistryError } from '../errors.js';
import {
  DEVICES,
  licenseSchema,
  modelEntrySchema,
  registryFileSchema,
  variantSchema,
} from './model-entry-schema.js';
import type { RegisteredModel } from './registry.js';

type Path = readonly PropertyKey[];

/**
 * Parses and validates one registry file's text; every error names the file, line and column,
 * the entry and the field, so that a user can fix their file without reading owm's source.
 */
export function parseRegistryFile(text: string, file: string, builtin: boolean): RegisteredModel[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };

  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const reason = syntaxError.message.split('\n')[0]!.replace(/\.$/, '');
    throw new RegistryError(`${where(syntaxError.pos[0])}: invalid YAML: ${reason}. Fix the file.`, {
      code: 'registry-syntax',
    });
  }

  const result = registryFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(doc, issue));
    const first = problems.reduce((a, b) => (b.offset < a.offset ? b : a));
    const fix = first.entry === undefined ? 'Fix the file.' : 'Fix the file or remove the entry.';
    const subject = first.entry === undefined ? '' : `model '${first.entry}': `;
    throw new RegistryError(`${where(first.offset)}: ${subject}${first.text}. ${fix}`, {
      code: 'registry-invalid',
    });
  }

  return Object.entries(result.data.models).map(([name, entry]) => ({
    name,
    entry,
    source: {
      file,
      line: lineCounter.linePos(locate(doc, ['models', name], true).offset).line,
      builtin,
    },
  }));
}

interface Problem {
  offset: number;
  entry?: string;
  text: string;
}

function describeIssue(doc: Document.Parsed, issue: z.core.$ZodIssue): Problem {
  const inEntry = issue.path[0] === 'models' && issue.path.length >= 2;
  const entry = inEntry ? String(issue.path[1]) : undefined;
  const relative = inEntry ? issue.path.slice(2) : issue.path;
  const field = (path: Path): string => `field '${path.map(String).join('.')}'`;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const located = issue.keys.map((key) => ({ key, ...locate(doc, [...issue.path, key], true) }));
      const { key, offset } = located.reduce((a, b) => (b.offset < a.offset ? b : a));
      const text = `${field([...relative, key])} ${unknownFieldHint(key, issue.path)}`;
      return { offset, entry, text };
    }
    case 'invalid_key': {
      const { offset } = locate(doc, issue.path, true);
      const rule = issue.issues[0]?.message ?? 'is not allowed';
      const key = String(issue.path.at(-1));
      if (relative.length === 0) return { offset, entry, text: `the name ${rule}` };
      if (relative.length === 2 && relative[0] === 'variants') {
        return { offset, entry, text: `variant name '${key}' ${rule}` };
      }
      return { offset, entry, text: `key '${key}' in ${field(relative.slice(0, -1))} ${rule}` };
    }
    default: {
      const { offset, found } = locate(doc, issue.path);
      if (issue.path.length === 0) {
        return { offset, entry, text: "the file must be a map with a 'models:' key" };
      }
      return { offset, entry, text: `${field(relative)} ${found ? problemText(issue) : 'is required'}` };
    }
  }
}

function problemText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return 'must list at least one value';
      if (issue.origin === 'string') return 'must not be empty';
      return 'must be positive';
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : issue.message;
    default:
      return issue.message;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: "a map of 'key: value' lines",
  record: "a map of 'key: value' lines",
};

function unknownFieldHint(key: string, objectPath: Path): string {
  const known = knownFields(objectPath);
  const nearest = known.length > 0 ? closest(key, known) : undefined;
  if (nearest !== undefined && distance(key, nearest) <= 3) {
    return `is not a known field (did you mean '${nearest}'?)`;
  }
  return `is not a known field; known fields: ${known.join(', ')}`;
}

/** The fields allowed in the object at `path`, for suggesting the one a typo meant. */
function knownFields(path: Path): string[] {
  const [top, , field] = path;
  if (path.length === 0) return Object.keys(registryFileSchema.shape);
  if (top !== 'models') return [];
  if (path.length === 2) return Object.keys(modelEntrySchema.shape);
  if (field === 'license') return Object.keys(licenseSchema.shape);
  if (field === 'default_variant') return [...DEVICES];
  if (field === 'variants' && path.length === 4) return Object.keys(variantSchema.shape);
  return [];
}

/**
 * Finds the source offset of the node at `path` (of its key when `atKey`); when the path does
 * not exist, `found` is false and the offset is that of the deepest key that does.
 */
function locate(doc: Document.Parsed, path: Path, atKey = false): { offset: number; found: boolean } {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  let keyOffset = offset;
  for (const [index, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair || !isNode(pair.key) || !pair.key.range) return { offset: keyOffset, found: false };
      offset = keyOffset = pair.key.range[0];
      if (atKey && index === path.length - 1) return { offset, found: true };
      node = pair.value;
      const value = pair.value;
      if (isNode(value) && value.range && !(isScalar(value) && value.value === null)) {
        offset = value.range[0];
      }
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!isNode(item) || !item.range) return { offset: keyOffset, found: false };
      node = item;
      offset = item.range[0];
    } else {
      return { offset: keyOffset, found: false };
    }
  }
  return { offset, found: true };
}
