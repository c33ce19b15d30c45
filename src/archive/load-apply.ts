/**
 * apply.ts for the drivers' appliers, loaded on first use (commands that only read the store
 * never parse the extractor) and then awaited as a settled promise: an `import()` per layer costs
 * a loader round trip (a turn of a busy event loop, and under a loader hook a hop to its thread).
 */
let loaded: Promise<typeof import("./apply.ts")> | undefined;

export function loadApply(): Promise<typeof import("./apply.ts")> {
  return (loaded ??= import("./apply.ts"));
}
