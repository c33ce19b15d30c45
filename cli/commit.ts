import { defineCommand } from "citty";
import { commitContainer } from "../src/container/commit.ts";
import { WharfError } from "../src/errors.ts";
import type { ClockPort } from "../src/ports.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

/** SOURCE_DATE_EPOCH, when set, is the clock commit reads: `created` and the whiteouts' mtimes. */
function sourceDateClock(value: string | undefined, clock: ClockPort): ClockPort | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new WharfError("USAGE", `invalid SOURCE_DATE_EPOCH ${JSON.stringify(value)}: expected whole seconds since the epoch`);
  }
  const seconds = Number(value);
  return { now: () => ({ seconds, nanos: 0 }), monotonicMs: () => clock.monotonicMs() };
}

/** Every `-c`/`--change` value in order: citty keeps only the last of a repeated flag. */
function changeFlags(rawArgs: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (arg === "-c" || arg === "--change") {
      const value = rawArgs[++i];
      if (value === undefined) throw new WharfError("USAGE", `flag needs an argument: ${arg}`);
      values.push(value);
    } else if (arg.startsWith("--change=")) values.push(arg.slice("--change=".length));
    else if (arg.startsWith("-c=")) values.push(arg.slice(3));
  }
  return values;
}

export default argumentList(defineCommand({
  meta: { name: "commit", description: "Create a new image from a container's changes" },
  args: {
    author: { type: "string", alias: "a", description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    change: { type: "string", alias: "c", description: "Apply Dockerfile instruction to the created image (repeatable)" },
    message: { type: "string", alias: "m", description: "Commit message" },
  },
  async run({ args, rawArgs }) {
    const ctx = await cliContext();
    const [container, reference, ...extra] = args._;
    if (container === undefined || extra.length > 0) {
      throw new WharfError("USAGE", '"commit" requires at least 1 and at most 2 arguments: CONTAINER [REPOSITORY[:TAG]]');
    }
    const fixed = sourceDateClock(ctx.runtime.env?.get("SOURCE_DATE_EPOCH"), ctx.runtime.clock);
    // The store (and the vfs driver's whiteout stamps) read the clock from the runtime it is opened with.
    if (fixed) ctx.runtime = Object.create(ctx.runtime, { clock: { value: fixed } });
    const result = await withStore(ctx, (store) =>
      commitContainer(store, ctx.runtime.clock, {
        container,
        reference,
        author: args.author,
        comment: args.message,
        changes: changeFlags(rawArgs),
        created: ctx.runtime.clock.now(),
      }),
    );
    await ctx.out(`${result.id}\n`);
  },
}));
