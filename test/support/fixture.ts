// A value a test file shares across its tests: started before them and stopped after them (in reverse order of
// declaration, as vitest runs afterAll hooks), read through a stand-in that is there at once.
import { afterAll, beforeAll } from "vitest";

/**
 * `start()` runs in beforeAll (after the fixtures declared before this one), `stop()` in afterAll. The stand-in
 * forwards every field and method to the started value, so it may be declared at the top of a describe and read in
 * its tests and hooks; reading it earlier throws.
 */
export function fileFixture<T extends object>(
  what: string,
  start: () => Promise<T>,
  stop: (value: T) => Promise<void>,
  timeoutMs?: number,
): T {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  }, timeoutMs);
  afterAll(async () => {
    if (value) await stop(value);
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!value) throw new Error(`${what} starts before the tests: read it in a test or a hook`);
      const field = Reflect.get(value, key);
      return typeof field === "function" ? field.bind(value) : field;
    },
  });
}
