/**
 * The one place that knows which runtime it is on. Detects Deno, then Bun, then Node, else a
 * browser, and imports only that adapter, so a browser bundle never runs node:/bun: code.
 */
import type { Runtime } from "../ports.ts";

let current: Promise<Runtime> | undefined;

export function getRuntime(): Promise<Runtime> {
  current ??= detect();
  return current;
}

type Globals = { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };

async function detect(): Promise<Runtime> {
  const g = globalThis as Globals;
  // Deno and Bun both define `process.versions.node` too, so they are checked first.
  if (g.Deno !== undefined) return (await import("./deno.ts")).createDenoRuntime();
  if (g.Bun !== undefined) return (await import("./bun.ts")).createBunRuntime();
  if (g.process?.versions?.node !== undefined) return (await import("./node.ts")).createNodeRuntime();
  return (await import("./browser.ts")).createBrowserRuntime();
}
