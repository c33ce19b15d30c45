import { defineCommand } from "citty";
import { tagImage } from "../src/images/tag.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";

export default defineCommand({
  meta: { name: "tag", description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  args: {
    source: { type: "positional", required: true, description: "SOURCE_IMAGE[:TAG] or ID" },
    target: { type: "positional", required: true, description: "TARGET_IMAGE[:TAG]" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    await withStore(ctx, (store) => tagImage(store, ctx.runtime.clock, args.source, args.target));
  },
});
