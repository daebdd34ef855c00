// A promise with its resolve function outside (Promise.withResolvers is past the project's ES2022 lib).
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
