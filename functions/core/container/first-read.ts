// A property computed on its first read and then kept: what only some of a container's paths need is not built
// at its cold start (the event catalogue's schemas, the tool registry's MCP and model shapes).

/** Defines `key` on `target` as an enumerable property that `build` computes on its first read. */
export function defineOnFirstRead<T extends object, K extends keyof T>(target: T, key: K, build: () => T[K]): void {
  let built = false;
  let value: T[K];
  Object.defineProperty(target, key, {
    enumerable: true,
    get: () => {
      if (!built) {
        value = build();
        built = true;
      }
      return value;
    },
  });
}
