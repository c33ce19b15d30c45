/**
 * Test-only access to fixture files, on every runtime the suite runs on (Node, Deno, Bun,
 * and Chromium, where the test runner serves `../shared/fixtures` at `/fixtures/`).
 * Test support may branch on the runtime; `src/` never does.
 */
declare const Deno: { readFile(path: string): Promise<Uint8Array> } | undefined;

const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } }; location?: { origin: string } };

/** Path of a fixture relative to `../shared/fixtures`, e.g. `docker-save/multi.tar`. */
export async function readFixture(rel: string): Promise<Uint8Array> {
  if (isBrowser()) {
    const res = await fetch(`/fixtures/${rel}`);
    if (!res.ok) throw new Error(`fixture ${rel}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  return readLocal(fixturePath(rel));
}

export function isBrowser(): boolean {
  return g.Deno === undefined && g.process?.versions?.node === undefined;
}

/** Absolute path of a fixture on a runtime with a file system. */
export function fixturePath(rel: string): string {
  const here = new URL(import.meta.url).pathname; // .../test/support/fixtures.ts
  const repo = here.replace(/\/test\/support\/fixtures\.[tj]s$/, "");
  return `${repo}/../shared/fixtures/${rel}`;
}

async function readLocal(path: string): Promise<Uint8Array> {
  if (typeof Deno !== "undefined") return Deno.readFile(path);
  const fs = await import("node:fs/promises");
  return new Uint8Array(await fs.readFile(path));
}
