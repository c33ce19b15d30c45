/**
 * A second wharf process for the store tests, run on the same runtime as the test:
 *   store-child.ts list ROOT DRIVER                → JSON {layers, images, warnings} on stdout
 *   store-child.ts open ROOT DRIVER TIMEOUT_MS     → "opened" or the one-line error, exit 1
 *   store-child.ts register-slow ROOT DRIVER MARKER SIZE
 *       registers a generated layer of SIZE bytes; once 40% of it was read it creates MARKER
 *       and slows to a crawl, so the test can SIGKILL it mid-registration.
 */
import { getRuntime } from "../../src/runtime/index.ts";
import { openStore } from "../../src/store/root.ts";
import type { ByteSource } from "../../src/io/source.ts";
import { bigLayerTar } from "./layers.ts";

const rt = await getRuntime();
const [command, root, driver, ...rest] = rt.env!.args();
const out = (text: string) => rt.stdio!.stdout.getWriter().write(new TextEncoder().encode(text + "\n"));

if (command === "list") {
  const store = await openStore({ root: root!, driver, runtime: rt });
  await out(JSON.stringify({ layers: store.layers.list().map((l) => l.chainID).sort(), images: store.images.list(), warnings: store.warnings }));
  await store.close();
} else if (command === "open") {
  try {
    const store = await openStore({ root: root!, driver, runtime: rt, lock: { timeoutMs: Number(rest[0]) } });
    await store.close();
    await out("opened");
  } catch (e) {
    await out((e as Error).message);
    rt.env!.exit(1);
  }
} else if (command === "register-slow") {
  const [marker, sizeText] = rest;
  const size = Number(sizeText);
  const store = await openStore({ root: root!, driver, runtime: rt });
  const inner = bigLayerTar(size);
  let read = 0;
  let marked = false;
  const slow: ByteSource = {
    async read(into) {
      if (marked) await new Promise((resolve) => setTimeout(resolve, 1000));
      const n = await inner.read(into.subarray(0, Math.min(into.length, 1 << 20)));
      read += n;
      if (!marked && read > size * 0.4) {
        marked = true;
        await rt.files!.writeFile(marker!, new Uint8Array(0));
      }
      return n;
    },
  };
  await store.layers.register(slow, undefined);
  await out("finished");
  await store.close();
} else {
  throw new Error(`unknown command ${command}`);
}
