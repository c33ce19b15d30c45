import { defineCommand } from "citty";
import { inspectImage } from "../src/images/inspect.ts";
import { goIndent } from "../src/format/go-json.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "inspect", description: "Display detailed information on one or more images" },
  args: {},
  async run({ args }) {
    const ctx = await cliContext();
    const names = args._;
    if (names.length === 0) throw new WharfError("USAGE", '"image inspect" requires at least 1 argument: IMAGE [IMAGE...]');
    const found: unknown[] = [];
    const missing: string[] = [];
    await withStore(ctx, async (store) => {
      for (const name of names) {
        try {
          found.push(await inspectImage(store, name));
        } catch (e) {
          if (e instanceof WharfError && e.code === "NOT_FOUND") missing.push(e.message);
          else throw e;
        }
      }
    });
    // Like docker: what was found is printed, then each miss is an error (exit 1).
    await ctx.out(goIndent(found) + "\n");
    if (missing.length) {
      for (const m of missing.slice(0, -1)) await ctx.err(`wharf: ${m}\n`);
      throw new WharfError("NOT_FOUND", missing[missing.length - 1]!);
    }
  },
}));
