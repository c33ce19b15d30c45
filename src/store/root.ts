/**
 * Opening a data-root: the directories with Docker's modes, the inter-process lock, the graph
 * driver, then the layer, image and reference stores over `image/<driver>/` — what dockerd does
 * at start-up, done by each wharf process for as long as it works on the root.
 */
import type { EnvPort, FilesPort, Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import type { Driver } from "../graphdriver/driver.ts";
import { openDriver } from "../graphdriver/registry.ts";
import { DiskLayerStore } from "../layer/store.ts";
import { ensureDir } from "../layer/layerdb.ts";
import { DiskImageStore } from "../image/store.ts";
import { ReferenceStore } from "../reference/store.ts";
import { DiskContainerStore } from "../container/store.ts";
import { rfc3339Nano } from "../image/config.ts";
import { lockRoot, type LockOptions } from "./lock.ts";

export interface OpenStoreOptions {
  root: string;
  /** Graph driver name; absent → the registry's choice (existing state, then priority). */
  driver?: string;
  runtime: Runtime;
  lock?: LockOptions;
}

export interface Store {
  readonly root: string;
  readonly driver: Driver;
  /** `<root>/image/<driver>`. */
  readonly imageRoot: string;
  readonly layers: DiskLayerStore;
  readonly images: DiskImageStore;
  readonly references: ReferenceStore;
  /** wharf's containers store, `<root>/containers` (their layers are `layers`' read-write layers). */
  readonly containers: DiskContainerStore;
  /** What restore skipped or cleaned, one line each, for the CLI to print. */
  readonly warnings: string[];
  /** Unmounts what the driver mounted and releases the lock. */
  close(): Promise<void>;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { runtime } = options;
  const files = runtime.files;
  if (!files) throw new WharfError("UNSUPPORTED", `the ${runtime.name} runtime has no file system for a data-root`);
  const root = absoluteRoot(options.root, runtime);
  await ensureDir(files, root, 0o711);
  const lock = await lockRoot(files, runtime.random, root, options.lock);
  let driver: Driver | undefined;
  try {
    await clearScratch(files, `${root}/tmp`);
    driver = await openDriver({ root, name: options.driver, runtime });
    const imageRoot = `${root}/image/${driver.name}`;
    await ensureDir(files, `${root}/image`, 0o700);
    await ensureDir(files, imageRoot, 0o700);
    await ensureDir(files, `${imageRoot}/distribution`, 0o700);
    const containersDir = `${root}/containers`;
    const layers = await DiskLayerStore.open({ runtime, driver, root: `${imageRoot}/layerdb`, mountCountsDir: containersDir });
    // A mount left by a killed command, or a count whose mount is gone, is settled before any work.
    await layers.reconcileMounts();
    const images = await DiskImageStore.open({ files, digests: runtime.digests, root: imageRoot, layers });
    const references = await ReferenceStore.open(files, `${imageRoot}/repositories.json`);
    const containerWarnings: string[] = [];
    const containers = await DiskContainerStore.open({
      files, random: runtime.random, dir: containersDir, driver: driver.name, now: () => rfc3339Nano(runtime.clock.now()), warnings: containerWarnings,
    });
    const openedDriver = driver;
    let closed = false;
    return {
      root,
      driver: openedDriver,
      imageRoot,
      layers,
      images,
      references,
      containers,
      warnings: [...layers.warnings, ...images.warnings, ...containerWarnings],
      async close() {
        if (closed) return;
        closed = true;
        try {
          await openedDriver.cleanup();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (e) {
    await driver?.cleanup().catch(() => {});
    await lock.release().catch(() => {});
    throw e;
  }
}

/** Lock, driver and stores must agree on one spelling of the root: absolute, no trailing slash. */
function absoluteRoot(root: string, runtime: Runtime): string {
  if (root === "") throw new WharfError("INVALID_ARGUMENT", "the data root must not be empty");
  const trimmed = root.replace(/\/+$/, "") || "/";
  if (trimmed.startsWith("/")) return trimmed;
  const cwd = runtime.env?.cwd();
  if (cwd === undefined) throw new WharfError("INVALID_ARGUMENT", `data root ${root} must be absolute here`);
  return `${cwd.replace(/\/+$/, "")}/${trimmed}`;
}

/** `<root>/tmp` holds only in-flight scratch (spooled load archives); under the lock, anything there was left behind by a killed wharf. */
async function clearScratch(files: FilesPort, dir: string): Promise<void> {
  if (!(await files.lstat(dir))) return;
  for (const name of await files.readdir(dir)) await files.remove(`${dir}/${name}`, { recursive: true });
}

/**
 * The root used when none is given: `$WHARF_ROOT`, else the per-user data dir
 * (`$XDG_DATA_HOME/wharf`, or `~/.local/share/wharf`) — for root too, so a one-off `npx wharf`
 * never writes into a system directory it was not pointed at.
 */
export function defaultRoot(env: Pick<EnvPort, "get" | "uid">): string {
  const explicit = env.get("WHARF_ROOT");
  if (explicit) return explicit;
  const xdg = env.get("XDG_DATA_HOME");
  if (xdg && xdg.startsWith("/")) return `${xdg}/wharf`;
  const home = env.get("HOME");
  if (!home) throw new WharfError("USAGE", "no data-root: set WHARF_ROOT or HOME, or pass --root");
  return `${home}/.local/share/wharf`;
}
