// What a Lambda container keeps between invocations: dependencies loaded on first use (configuration, secrets,
// clients) and reused after. A failed load is not kept, so the next invocation tries again instead of the
// container failing for the rest of its life on a transient secret or network error.

/** `load` runs at the first call; later calls share its promise unless it failed. */
export function reusedUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}
