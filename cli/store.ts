// Opening the data-root for a command: --root / $WHARF_ROOT / the default, --driver, restore
// warnings on stderr, and the store closed (lock released, mounts cleaned) however the command ends.
import { defaultRoot, openStore, type Store } from "../src/store/root.ts";
import type { CliContext } from "./context.ts";

export async function withStore<T>(ctx: CliContext, work: (store: Store) => Promise<T>): Promise<T> {
  const env = ctx.runtime.env!;
  const store = await openStore({ root: ctx.globals.root ?? defaultRoot(env), driver: ctx.globals.driver, runtime: ctx.runtime });
  try {
    for (const warning of store.warnings) await ctx.err(`WARNING: ${warning}\n`);
    return await work(store);
  } finally {
    await store.close();
  }
}
