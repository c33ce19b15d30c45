/**
 * Driver choice (moby graphdriver.New): the driver asked for by name; else the one whose state
 * the root already holds; else the first that works in priority order (overlay2, then vfs,
 * which is never chosen automatically while overlay2 works).
 */
import { WharfError } from "../errors.ts";
import type { FilesPort, Runtime } from "../ports.ts";
import type { Driver } from "./driver.ts";
import { withNaiveDiff } from "./naive-diff.ts";
import { Overlay2Driver } from "./overlay2.ts";
import { overlaySupport } from "./overlay2-support.ts";
import { VfsDriver } from "./vfs.ts";

export const DRIVER_NAMES = ["overlay2", "vfs"] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

export interface OpenDriverOptions {
  /** The data root, e.g. /var/lib/wharf; absolute, or relative to the working directory. */
  root: string;
  /** A driver by name (`--driver`); unset: chosen as described above. */
  name?: string;
  runtime: Runtime;
}

export async function openDriver(options: OpenDriverOptions): Promise<Driver> {
  const { runtime } = options;
  const files = runtime.files;
  if (!files) throw new WharfError("UNSUPPORTED", "graph drivers need a file system; this runtime has none");
  const root = absoluteRoot(options.root, runtime);
  if (options.name !== undefined) {
    if (!isDriverName(options.name)) {
      throw new WharfError("DRIVER", `unknown storage driver ${JSON.stringify(options.name)}; valid drivers: ${DRIVER_NAMES.join(", ")}`);
    }
    return open(options.name, root, runtime, true);
  }
  const prior = await priorDrivers(files, root);
  if (prior.length > 1) {
    throw new WharfError("DRIVER", `${root} contains several valid graph drivers: ${prior.join(", ")}; clean up or choose one with --driver`);
  }
  if (prior.length === 1) return open(prior[0]!, root, runtime, true);
  const overlay = await overlaySupport(root, runtime);
  if (overlay.supported) return open("overlay2", root, runtime, false);
  return open("vfs", root, runtime, false);
}

export function isDriverName(name: string): name is DriverName {
  return (DRIVER_NAMES as readonly string[]).includes(name);
}

async function open(name: DriverName, root: string, runtime: Runtime, checkSupport: boolean): Promise<Driver> {
  if (name === "vfs") return withNaiveDiff(await VfsDriver.open(root, runtime), runtime);
  if (checkSupport) {
    const overlay = await overlaySupport(root, runtime);
    if (!overlay.supported) throw new WharfError("DRIVER", `storage driver overlay2 cannot be used at ${root}: ${overlay.reason}`);
  }
  return Overlay2Driver.open(root, runtime);
}

/** Drivers whose state `root` holds: a non-empty `<root>/<driver>` or a `<root>/image/<driver>`. */
export async function priorDrivers(files: FilesPort, root: string): Promise<DriverName[]> {
  const found: DriverName[] = [];
  for (const name of DRIVER_NAMES) {
    const home = await files.lstat(`${root}/${name}`);
    const hasHome = home?.kind === "dir" && (await files.readdir(`${root}/${name}`)).length > 0;
    const hasImages = (await files.lstat(`${root}/image/${name}`))?.kind === "dir";
    if (hasHome || hasImages) found.push(name);
  }
  return found;
}

function absoluteRoot(root: string, runtime: Runtime): string {
  if (root === "") throw new WharfError("INVALID_ARGUMENT", "the data root must not be empty");
  const trimmed = root.length > 1 ? root.replace(/\/+$/, "") : root;
  if (trimmed.startsWith("/")) return trimmed;
  const cwd = runtime.env?.cwd();
  if (cwd === undefined) throw new WharfError("INVALID_ARGUMENT", `data root ${root} must be absolute here`);
  return `${cwd.replace(/\/+$/, "")}/${trimmed}`;
}
