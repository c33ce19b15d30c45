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

export function progressBar(ctx: CliContext, label: string): ProgressBar {
  if (!ctx.stdio.isTerminal(1)) return { update() {}, done: async () => {} };
  let last = 0;
  let pending: Promise<void> = Promise.resolve();
  let drawn = false;
  const draw = (done: number, total?: number) => {
    const filled = total ? Math.min(WIDTH, Math.round((done / total) * WIDTH)) : 0;
    const bar = total ? `[${"=".repeat(Math.max(0, filled - 1))}${filled ? ">" : ""}${" ".repeat(WIDTH - filled)}]` : "";
    const amount = total ? `${humanSize(done)}/${humanSize(total)}` : humanSize(done);
    drawn = true;
    pending = pending.then(() => ctx.out(`\r${label} ${bar} ${amount}\x1b[K`));
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
