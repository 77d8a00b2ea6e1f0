/** A copy of `object` without its undefined fields, so a spread of it overrides nothing with undefined. */
export function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
