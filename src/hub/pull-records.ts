import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CacheError, OwmError } from '../errors.js';
import { lockFile } from './file-lock.js';
import { writeFileAtomically } from './write-file-atomically.js';

/** The file in owm's state folder that remembers what was pulled. */
const PULL_RECORDS_FILE = 'pulls.json';

/** What owm remembers about one pulled variant of one repo; keyed by `repo` + `variant`. */
const pullRecordSchema = z.object({
  /** `org/name` on the Hub. */
  repo: z.string().min(1),
  /** The commit the files were pulled from (the snapshot's folder name). */
  commit: z.string().min(1),
  /** The revision the user asked for (`main`, a tag, a commit). */
  revision: z.string().min(1),
  /** The variant pulled (`q4`, `fp16`, a genai folder name). */
  variant: z.string().min(1),
  /** Repo paths of the variant's files in the snapshot. */
  files: z.array(z.string()),
  /** The registry short name the model was pulled by, if any. */
  name: z.string().optional(),
  /** Whether the Hub gated the repo when it was pulled (so `owm show` can say so offline). */
  gated: z.boolean().optional(),
  /** The license the Hub declared when it was pulled. */
  license: z.string().optional(),
  /** ISO time of the pull. */
  pulledAt: z.iso.datetime(),
  /** ISO time the model last ran (the pull time until then). */
  lastUsedAt: z.iso.datetime(),
});

/** What owm remembers about one pulled variant of one repo. */
export type PullRecord = z.infer<typeof pullRecordSchema>;

/** A record to store; the timestamps default to now. */
export type NewPullRecord = Omit<PullRecord, 'pulledAt' | 'lastUsedAt'> &
  Partial<Pick<PullRecord, 'pulledAt' | 'lastUsedAt'>>;

const pullRecordsFileSchema = z.object({
  version: z.literal(1),
  pulls: z.array(pullRecordSchema),
});

/** Reads every pull record; a missing file means nothing was pulled yet. */
export async function readPullRecords(stateDir: string): Promise<PullRecord[]> {
  const file = path.join(stateDir, PULL_RECORDS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(file, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corruptError(file, 'not valid JSON', error);
  }
  const parsed = pullRecordsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corruptError(file, `${issue?.path.join('.') || 'top level'}: ${issue?.message}`, parsed.error);
  }
  return parsed.data.pulls;
}

/** Stores a pull, replacing the record of the same repo and variant; returns what was stored. */
export async function recordPull(stateDir: string, record: NewPullRecord): Promise<PullRecord> {
  const now = new Date().toISOString();
  const pulledAt = record.pulledAt ?? now;
  const stored: PullRecord = { ...record, pulledAt, lastUsedAt: record.lastUsedAt ?? pulledAt };
  await updatePullRecords(stateDir, (records) => [
    ...records.filter((r) => !(r.repo === stored.repo && r.variant === stored.variant)),
    stored,
  ]);
  return stored;
}

/** Marks a pulled variant as just used; returns the updated record, or undefined if none. */
export async function touchLastUsed(
  stateDir: string,
  repo: string,
  variant: string,
  when: Date = new Date(),
): Promise<PullRecord | undefined> {
  let touched: PullRecord | undefined;
  await updatePullRecords(stateDir, (records) =>
    records.map((r) => {
      if (r.repo !== repo || r.variant !== variant) return r;
      touched = { ...r, lastUsedAt: when.toISOString() };
      return touched;
    }),
  );
  return touched;
}

/** Forgets one variant of a repo, or every variant when none is given; returns what was dropped. */
export async function forgetPull(stateDir: string, repo: string, variant?: string): Promise<PullRecord[]> {
  const dropped: PullRecord[] = [];
  await updatePullRecords(stateDir, (records) =>
    records.filter((r) => {
      const drop = r.repo === repo && (variant === undefined || r.variant === variant);
      if (drop) dropped.push(r);
      return !drop;
    }),
  );
  return dropped;
}

/** Read-modify-write under an exclusive lock, so that concurrent owm processes never lose a record. */
async function updatePullRecords(
  stateDir: string,
  change: (records: PullRecord[]) => PullRecord[],
): Promise<void> {
  const file = path.join(stateDir, PULL_RECORDS_FILE);
  try {
    await mkdir(stateDir, { recursive: true });
  } catch (error) {
    throw fileError(stateDir, error);
  }
  const lock = await lockFile(`${file}.lock`);
  try {
    const records = change(await readPullRecords(stateDir));
    await writeAtomically(file, `${JSON.stringify({ version: 1, pulls: records }, null, 2)}\n`);
  } finally {
    lock.release();
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomically(file, text);
  } catch (error) {
    throw fileError(file, error);
  }
}

function corruptError(file: string, reason: string, cause: unknown): CacheError {
  return new CacheError(
    `owm's pull records file ${file} is corrupt (${reason}); delete it and retry (cached models stay, only their names and last-used times are forgotten).`,
    { code: 'corrupt-state', cause },
  );
}

function fileError(file: string, cause: unknown): OwmError {
  if (cause instanceof OwmError) return cause;
  const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
  return new CacheError(
    `Cannot access owm's state at ${file} (${code}); check that folder's permissions and free space.`,
    { code: 'state-io', cause },
  );
}
