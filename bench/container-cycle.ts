/**
 * A container's storage cycle through the library, in one process on overlay2: create (init and
 * read-write layers, init step through the init layer's mount) + mount + umount + rm, over
 * multi.tar's image. Baseline, same runtime and run: mkdir of lower/upper/work/merged, mount(2) of
 * a tiny overlay, umount, rm of the dirs through the runtime adapter. Median of CYCLES after a
 * warm-up; the target is a median under 50 ms on Deno and Bun (Node reported). Root only.
 * Run under tsx, deno (-A), bun.
 */
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { createContainer } from "../src/container/create.ts";
import { removeContainer } from "../src/container/remove.ts";

const CYCLES = 30;
const TARGET_MS = 50;
const rt = await getRuntime();
const files = rt.files!;
const mounts = rt.mounts!;
const now = () => rt.clock.monotonicMs();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const repo = new URL("../", import.meta.url).pathname;
const tmp = await files.makeTempDir("wharf-bench-cycle-");

async function baseline(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= CYCLES; i++) {
    const start = now();
    const dir = `${tmp}/plain${i}`;
    for (const d of ["lower", "upper", "work", "merged"]) await files.mkdir(`${dir}/${d}`, { recursive: true, mode: 0o755 });
    await mounts.mount("overlay", `${dir}/merged`, "overlay", 0, `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`);
    await mounts.unmount(`${dir}/merged`);
    await files.remove(dir, { recursive: true });
    if (i > 0) times.push(now() - start);
  }
  return times;
}

async function cycles(): Promise<number[]> {
  const store = await openStore({ root: `${tmp}/root`, driver: "overlay2", runtime: rt });
  try {
    await loadImages(store, { path: `${repo}../shared/fixtures/docker-save/multi.tar` }, { runtime: rt });
    const times: number[] = [];
    for (let i = 0; i <= CYCLES; i++) {
      const start = now();
      const c = await createContainer(store, "wharf-test/multi:1");
      const layer = store.layers.getRWLayer(c.id)!;
      await layer.mount();
      await layer.unmount();
      await removeContainer(store, c.id);
      if (i > 0) times.push(now() - start);
    }
    return times;
  } finally {
    await store.close();
  }
}

try {
  const base = median(await baseline());
  const cycle = median(await cycles());
  const verdict = rt.name === "node" ? "(reported)" : cycle < TARGET_MS ? "OK" : "MISSED";
  console.log(`container-cycle ${rt.name}: create+mount+umount+rm median ${cycle.toFixed(1)} ms; baseline mkdir+mount+umount+rm ${base.toFixed(1)} ms; ratio ${(cycle / base).toFixed(1)}x; target < ${TARGET_MS} ms ${verdict}`);
} finally {
  await files.remove(tmp, { recursive: true });
}
