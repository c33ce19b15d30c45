/**
 * Containers' storage (what `docker create`/`rm`/`ps` keep): wharf's own containers store under
 * `<root>/containers/<id>/` — `config.v2.json` (the fields of Docker's container config that
 * storage needs, in Docker's shape) and `wharf-mounts` (the persisted mount count). The layers
 * themselves are the layer store's RWLayer. Implementation beside this file: store.ts.
 */
import type { ImageID } from "../image/image.ts";

/** Docker's container.Config subset a committed image inherits and `-c` changes edit. */
export interface ContainerConfig {
  Hostname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, Record<string, never>>;
  Image?: string;
  [key: string]: unknown;
}

export interface Container {
  /** 64 lowercase hex, first 12 not all digits. */
  readonly id: string;
  /** Without Docker's leading slash. */
  readonly name: string;
  /** RFC 3339 with nanoseconds. */
  readonly created: string;
  readonly image: ImageID;
  /** What the user typed for the image (`busybox`, a short ID…), shown by `ps`. */
  readonly imageName: string;
  readonly config: ContainerConfig;
  /** Graph driver the container's layers live in. */
  readonly driver: string;
  /** What runs (Docker's Path and Args, from Entrypoint and Cmd). */
  readonly path: string;
  readonly args: string[];
}

export interface CreateContainerOptions {
  /** The container ID (the read-write layer is created under it first); generated when absent. */
  id?: string;
  image: ImageID;
  imageName: string;
  /** Without the leading slash; absent → Docker's `adjective_surname`. */
  name?: string;
  config: ContainerConfig;
}

export interface ContainerStore {
  create(options: CreateContainerOptions): Promise<Container>;
  /** Throws Docker's error for an invalid name or one in use; changes nothing. */
  checkName(name: string): void;
  /** A fresh ID no container has. */
  newID(): string;
  /** By full ID, unique ID prefix, or name; ambiguous prefix or unknown → clear errors (`No such container: x`). */
  get(idOrName: string): Container;
  list(): Container[];
  /** Containers whose image is `id` (for `rmi` conflicts). */
  usingImage(id: ImageID): Container[];
  delete(id: string): Promise<void>;
}
