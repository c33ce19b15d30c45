// A one-line progress bar for terminals (load/save), redrawn in place with \r; nothing when
// stdout is not a terminal, so pipelines get plain lines only.
import { humanSize } from "../src/format/units.ts";
import type { CliContext } from "./context.ts";

const WIDTH = 40;
const REDRAW_MS = 100;

export interface ProgressBar {
  update(done: number, total?: number): void;
  /** Clears the bar's line. */
  done(): Promise<void>;
}

/** `[=====>    ] 1.2MB/3.4MB` (the bar only when the total is known), as Docker draws it. */
export function barText(done: number, total?: number): string {
  if (!total) return humanSize(done);
  const filled = Math.min(WIDTH, Math.round((done / total) * WIDTH));
  return `[${"=".repeat(Math.max(0, filled - 1))}${filled ? ">" : ""}${" ".repeat(WIDTH - filled)}] ${humanSize(done)}/${humanSize(total)}`;
}

export function progressBar(ctx: CliContext, label: string): ProgressBar {
  if (!ctx.stdio.isTerminal(1)) return { update() {}, done: async () => {} };
  let last = 0;
  let pending: Promise<void> = Promise.resolve();
  let drawn = false;
  const draw = (done: number, total?: number) => {
    drawn = true;
    pending = pending.then(() => ctx.out(`\r${label} ${barText(done, total)}\x1b[K`));
  };
  return {
    update(done, total) {
      const now = ctx.runtime.clock.monotonicMs();
      if (now - last < REDRAW_MS && (total === undefined || done < total)) return;
      last = now;
      draw(done, total);
    },
    async done() {
      await pending;
      if (drawn) await ctx.out("\r\x1b[K");
    },
  };
}
