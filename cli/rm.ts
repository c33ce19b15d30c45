import { defineCommand } from "citty";
import { removeContainer } from "../src/container/remove.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "rm", description: "Remove one or more containers" },
  args: { force: { type: "boolean", alias: "f", description: "Force the removal of a mounted container" } },
  async run({ args }) {
    const ctx = await cliContext();
    const names = args._;
    if (names.length === 0) throw new WharfError("USAGE", '"rm" requires at least 1 argument: CONTAINER [CONTAINER...]');
    // Like docker: each is tried and echoed as given; failures one per line, exit 1.
    const errors: WharfError[] = [];
    await withStore(ctx, async (store) => {
      for (const name of names) {
        try {
          await removeContainer(store, name, { force: args.force });
          await ctx.out(`${name}\n`);
        } catch (e) {
          errors.push(e instanceof WharfError ? e : new WharfError("IO", String(e)));
        }
      }
    });
    for (const e of errors.slice(0, -1)) await ctx.err(`wharf: ${e.message}\n`);
    if (errors.length) throw errors[errors.length - 1]!;
  },
}));
