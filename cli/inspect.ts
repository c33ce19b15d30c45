import { defineCommand } from "citty";
import { inspectContainer } from "../src/container/inspect.ts";
import { inspectImage } from "../src/images/inspect.ts";
import { goIndent } from "../src/format/go-json.ts";
import { WharfError, isWharfError } from "../src/errors.ts";
import type { Store } from "../src/store/root.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

/** `docker inspect`: a container first, else an image; neither → `No such object: x`. */
async function inspectObject(store: Store, name: string, size: boolean, containersOnly: boolean): Promise<unknown> {
  try {
    return await inspectContainer(store, store.containers.get(name), { size });
  } catch (e) {
    if (containersOnly || !isWharfError(e, "NOT_FOUND") || !e.message.startsWith("No such container")) throw e;
  }
  try {
    return await inspectImage(store, name);
  } catch (e) {
    if (isWharfError(e, "NOT_FOUND") && e.message.startsWith("No such image")) throw new WharfError("NOT_FOUND", `No such object: ${name}`);
    throw e;
  }
}

export function inspectCommand(containersOnly: boolean) {
  return argumentList(defineCommand({
    meta: { name: "inspect", description: containersOnly ? "Display detailed information on one or more containers" : "Return low-level information on containers or images" },
    args: { size: { type: "boolean", alias: "s", description: "Display total file sizes (containers)" } },
    async run({ args }) {
      const ctx = await cliContext();
      const names = args._;
      const what = containersOnly ? "container inspect" : "inspect";
      if (names.length === 0) throw new WharfError("USAGE", `"${what}" requires at least 1 argument: ${containersOnly ? "CONTAINER [CONTAINER...]" : "NAME|ID [NAME|ID...]"}`);
      const found: unknown[] = [];
      const missing: string[] = [];
      await withStore(ctx, async (store) => {
        for (const name of names) {
          try {
            found.push(await inspectObject(store, name, args.size ?? false, containersOnly));
          } catch (e) {
            if (isWharfError(e, "NOT_FOUND")) missing.push(e.message);
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
}

export default inspectCommand(false);
