/**
 * How long a failed notification waits before its next attempt: base x 2^(attempt - 1), capped. Deterministic
 * (no jitter): SQS's visibility timeout already spreads retries by whole seconds.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number): number {
  if (attempt < 1 || baseMs <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}
