/**
 * User-named keys (ADF parameter names, job inputs and outputs, tags, YAML map keys) may be
 * `toString`, `constructor` or `__proto__`: a plain `obj[name]` finds Object.prototype's members
 * and `obj[name] = v` with `__proto__` replaces the prototype instead of adding a key. These read
 * and write own properties only.
 */

/** `obj[key]` when `key` is obj's own property, else undefined. */
export function ownValue<T>(obj: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return obj !== undefined && obj !== null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function hasOwn(obj: object | undefined | null, key: string): boolean {
  return obj !== undefined && obj !== null && Object.hasOwn(obj, key);
}

/** Sets `obj[key] = value` as an own, enumerable property (also for `__proto__`). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
