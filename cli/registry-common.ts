// What pull, push and login share: --insecure-registry, credentials from Docker's client config,
// and the per-layer status lines (redrawn in place on a terminal, one line per change otherwise).
import type { RegistryCredentials } from "../src/distribution/auth.ts";
import { dockerConfigPath, readCredentials } from "../src/distribution/credentials.ts";
import { barText } from "./progress.ts";
import type { CliContext } from "./context.ts";
import { WharfError } from "../src/errors.ts";

export const insecureRegistryArg = {
  "insecure-registry": { type: "string", description: "Allow plain http for this registry host[:port] (comma-separated; loopback hosts always may)" },
} as const;

/** citty gives a repeated string flag as an array; commas separate hosts too. */
export function insecureRegistries(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((v) => String(v).split(",")).map((h) => h.trim()).filter(Boolean);
}

export async function credentialsFor(ctx: CliContext, domain: string): Promise<RegistryCredentials | undefined> {
  return readCredentials(ctx.runtime.files!, dockerConfigPath(ctx.runtime.env!), domain, ctx.runtime.processes);
}

/** Lines keyed by layer: `abc123def456: Pull complete`. Progress statuses only show on a terminal. */
export interface LayerLines {
  line(text: string): void;
  layer(id: string, status: string, progress?: { current: number; total?: number }): void;
  done(): Promise<void>;
}

const PROGRESS_STATUSES = new Set(["Downloading", "Pushing", "Extracting"]);
const REDRAW_MS = 100;

export function layerLines(ctx: CliContext, quiet: boolean): LayerLines {
  let pending: Promise<void> = Promise.resolve();
  const write = (text: string) => {
    pending = pending.then(() => ctx.out(text));
  };
  if (quiet) return { line() {}, layer() {}, done: () => pending };
  if (!ctx.stdio.isTerminal(1)) {
    const last = new Map<string, string>();
    return {
      line: (text) => write(`${text}\n`),
      layer(id, status) {
        if (PROGRESS_STATUSES.has(status) || last.get(id) === status) return;
        last.set(id, status);
        write(`${id}: ${status}\n`);
      },
      done: () => pending,
    };
  }
  // Terminal: a block of one line per layer under the header lines, redrawn at most every 100 ms.
  const order: string[] = [];
  const texts = new Map<string, string>();
  let drawnLines = 0;
  let lastDraw = 0;
  const redraw = (force: boolean) => {
    const now = ctx.runtime.clock.monotonicMs();
    if (!force && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    let out = drawnLines > 0 ? `\x1b[${drawnLines}A` : "";
    for (const id of order) out += `\r${id}: ${texts.get(id)}\x1b[K\n`;
    drawnLines = order.length;
    write(out);
  };
  return {
    line(text) {
      drawnLines = 0;
      order.length = 0;
      write(`${text}\n`);
    },
    layer(id, status, progress) {
      if (!texts.has(id)) order.push(id);
      texts.set(id, progress ? `${status.padEnd(18)} ${barText(progress.current, progress.total)}` : status);
      redraw(!progress);
    },
    async done() {
      redraw(true);
      await pending;
    },
  };
}

/** A server argument as Docker takes it: `host[:port]`, with or without a scheme or a path. */
export function registryDomain(server: string): string {
  const host = server.replace(/^https?:\/\//, "").split("/")[0]!;
  if (!/^[A-Za-z0-9.\-[\]:]+$/.test(host) || host === "") throw new WharfError("USAGE", `invalid registry ${JSON.stringify(server)}: expected host[:port]`);
  return ["index.docker.io", "registry-1.docker.io"].includes(host) ? "docker.io" : host;
}
