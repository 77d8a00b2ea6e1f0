const REPO_PART = /^[\w.-]+$/;
const MAX_PART_LENGTH = 96;

/**
 * True when `repo` is an `org/name` id the Hub would accept: letters, digits, '-', '_' and '.',
 * no '--' or '..', and no part that starts or ends with '-' or '.'.
 */
export function isValidRepoId(repo: string): boolean {
  const parts = repo.split('/');
  return parts.length === 2 && parts.every(isValidRepoPart);
}

function isValidRepoPart(part: string): boolean {
  return (
    REPO_PART.test(part) &&
    part.length <= MAX_PART_LENGTH &&
    !part.includes('--') &&
    !part.includes('..') &&
    !/^[-.]|[-.]$/.test(part)
  );
}
