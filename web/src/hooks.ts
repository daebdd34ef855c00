import { useEffect, useState } from 'preact/hooks';

/** The current time, re-read every `everyMs`, for countdowns. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * Runs `poll` now and again every `intervalMs` until it returns true (done) or the component goes; a failing
 * poll waits twice as long before the next try (a throttled API recovers instead of being hammered).
 */
export function usePolling(poll: () => Promise<boolean>, intervalMs: number, deps: unknown[]): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wait = intervalMs;
    const tick = async () => {
      let done = false;
      try {
        done = await poll();
        wait = intervalMs;
      } catch {
        wait = Math.min(wait * 2, 10_000);
      }
      if (!stopped && !done) timer = setTimeout(tick, wait);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

/** The page the URL's hash names (`#operations`), following back/forward and links. */
export function useLocationHash(): string {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export const OPERATIONS_HASH = '#operations';
