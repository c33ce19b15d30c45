/**
 * `docker container inspect` (moby ContainerJSON, API 1.41) for the parts storage knows: identity,
 * State (always created), Image, Name, Driver, GraphDriver with the driver's paths for the
 * read-write layer (overlay2: LowerDir = init diff then the image's diffs, nearest first), Mounts
 * and Config. HostConfig and NetworkSettings belong to a runtime wharf does not have; not shown.
 */
import type { Container } from "./container.ts";
import type { ContainerStores } from "./create.ts";
import { containerLayer } from "./remove.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

export async function inspectContainer(store: ContainerStores, container: Container, options: { size?: boolean } = {}): Promise<Record<string, unknown>> {
  const layer = containerLayer(store, container);
  const out: Record<string, unknown> = {
    Id: container.id,
    Created: container.created,
    Path: container.path,
    Args: container.args,
    State: {
      Status: "created", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: 0, ExitCode: 0, Error: "", StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
    },
    Image: container.image,
    ResolvConfPath: "",
    HostnamePath: "",
    HostsPath: "",
    LogPath: "",
    Name: `/${container.name}`,
    RestartCount: 0,
    Driver: container.driver,
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    GraphDriver: { Data: await store.driver.metadata(layer.mountID), Name: store.driver.name },
  };
  if (options.size) {
    const sizes = await containerSizes(store, container);
    out.SizeRw = sizes.rw;
    out.SizeRootFs = sizes.rootFs;
  }
  out.Mounts = [];
  out.Config = container.config;
  return out;
}

/** moby getSize: the read-write layer's own bytes, and those plus the image's layers. */
export async function containerSizes(store: ContainerStores, container: Container): Promise<{ rw: number; rootFs: number }> {
  const layer = containerLayer(store, container);
  const rw = await layer.size();
  let rootFs = rw;
  for (let l = layer.parent; l; l = l.parent) rootFs += l.size;
  return { rw, rootFs };
}

/** What `docker ps` shows as COMMAND (before quoting and truncating): Path and Args. */
export function containerCommand(container: Container): string {
  return container.args.length > 0 ? `${container.path} ${container.args.join(" ")}` : container.path;
}
