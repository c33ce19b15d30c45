/**
 * wharf's containers store: `<root>/containers/<id>/config.v2.json` (dir 0710, file 0600,
 * written atomically) in the shape of Docker's `container.Container` for the fields storage has:
 * State (always "created"), ID, Created, Path, Args, Config, Image, Name, Driver, OS, …
 * Containers of another graph driver are left on disk and not listed, as dockerd skips them.
 * Lookups follow moby's GetContainer: full ID, then name, then unique ID prefix.
 */
import type { FilesPort, RandomPort } from "../ports.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { goValue } from "../format/go-json.ts";
import type { ImageID } from "../image/image.ts";
import { randomID } from "../layer/random-id.ts";
import { ensureDir, removeIfExists } from "../layer/layerdb.ts";
import type { Container, ContainerConfig, ContainerStore, CreateContainerOptions } from "./container.ts";
import { randomName } from "./names.ts";

const CONFIG_FILE = "config.v2.json";
const ZERO_TIME = "0001-01-01T00:00:00Z";
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface OpenContainerStoreOptions {
  files: FilesPort;
  random: RandomPort;
  /** `<root>/containers`. */
  dir: string;
  driver: string;
  /** RFC 3339 with nanoseconds, now. */
  now: () => string;
  /** Problems met while loading, one line each. */
  warnings: string[];
}

/** moby getEntrypointAndArgs. */
export function entrypointAndArgs(config: ContainerConfig): { path: string; args: string[] } {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entrypoint.length === 0) return { path: cmd[0] ?? "", args: cmd.slice(1) };
  return { path: entrypoint[0]!, args: [...entrypoint.slice(1), ...cmd] };
}

export class DiskContainerStore implements ContainerStore {
  private readonly byID = new Map<string, Container>();
  private readonly byName = new Map<string, string>();

  private constructor(private readonly options: OpenContainerStoreOptions) {}

  /** Creates `containers/` (0710, as dockerd does) and loads every container of this driver. */
  static async open(options: OpenContainerStoreOptions): Promise<DiskContainerStore> {
    const store = new DiskContainerStore(options);
    await ensureDir(options.files, options.dir, 0o710);
    for (const id of await options.files.readdir(options.dir)) {
      const path = `${options.dir}/${id}/${CONFIG_FILE}`;
      try {
        const container = parseContainer(decoder.decode(await options.files.readFile(path)), path);
        if (container.id !== id) throw new WharfError("INVALID_ARGUMENT", `${path}: ID ${container.id} does not match its directory`);
        if (container.driver !== options.driver) continue;
        store.add(container);
      } catch (e) {
        if (isWharfError(e, "IO") && e.errno === "ENOENT") continue; // a directory without config: not a container (yet)
        options.warnings.push(`skipping container ${id}: ${(e as Error).message}`);
      }
    }
    return store;
  }

  newID(): string {
    for (;;) {
      const id = randomID(this.options.random);
      if (!this.byID.has(id)) return id;
    }
  }

  checkName(name: string): void {
    if (!VALID_NAME.test(name)) throw new WharfError("INVALID_ARGUMENT", `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const bare = name.replace(/^\//, "");
    const owner = this.byName.get(bare);
    if (owner !== undefined) {
      throw new WharfError("CONFLICT", `Conflict. The container name "/${bare}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  async create(options: CreateContainerOptions): Promise<Container> {
    const id = options.id ?? this.newID();
    if (!/^[0-9a-f]{64}$/.test(id)) throw new WharfError("INVALID_ARGUMENT", `invalid container ID ${JSON.stringify(id)}`);
    if (this.byID.has(id)) throw new WharfError("CONFLICT", `container ${id} already exists`);
    let name: string;
    if (options.name !== undefined) {
      this.checkName(options.name);
      name = options.name.replace(/^\//, "");
    } else name = this.generateName(id);
    const { path, args } = entrypointAndArgs(options.config);
    const container: Container = {
      id, name, created: this.options.now(), image: options.image, imageName: options.imageName,
      config: options.config, driver: this.options.driver, path, args,
    };
    const dir = `${this.options.dir}/${id}`;
    await ensureDir(this.options.files, dir, 0o710);
    try {
      await writeFileAtomic(this.options.files, `${dir}/${CONFIG_FILE}`, encoder.encode(serializeContainer(container)), { mode: 0o600 });
    } catch (e) {
      await removeIfExists(this.options.files, dir).catch(() => {});
      throw e;
    }
    this.add(container);
    return container;
  }

  get(idOrName: string): Container {
    if (idOrName === "") throw new WharfError("INVALID_ARGUMENT", "Prefix can't be empty");
    const exact = this.byID.get(idOrName);
    if (exact) return exact;
    const named = this.byName.get(idOrName.replace(/^\//, ""));
    if (named !== undefined) return this.byID.get(named)!;
    const matches = /^[0-9a-f]+$/.test(idOrName) ? [...this.byID.keys()].filter((id) => id.startsWith(idOrName)) : [];
    if (matches.length > 1) throw new WharfError("INVALID_ARGUMENT", `multiple IDs found with provided prefix: ${idOrName}`);
    if (matches.length === 0) throw new WharfError("NOT_FOUND", `No such container: ${idOrName}`);
    return this.byID.get(matches[0]!)!;
  }

  /** Newest first, as `docker ps` lists them. */
  list(): Container[] {
    return [...this.byID.values()].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  usingImage(id: ImageID): Container[] {
    return this.list().filter((c) => c.image === id);
  }

  async delete(id: string): Promise<void> {
    const container = this.byID.get(id);
    if (!container) throw new WharfError("NOT_FOUND", `No such container: ${id}`);
    await removeIfExists(this.options.files, `${this.options.dir}/${id}`);
    this.byID.delete(id);
    this.byName.delete(container.name);
  }

  /** moby generateNewName: a few random names, then with a digit, then the short ID. */
  private generateName(id: string): string {
    for (let retry = 0; retry < 6; retry++) {
      const name = randomName(this.options.random, retry);
      if (!this.byName.has(name)) return name;
    }
    return id.slice(0, 12);
  }

  private add(container: Container): void {
    this.byID.set(container.id, container);
    this.byName.set(container.name, container.id);
  }
}

/** config.v2.json, fields in moby's container.Container order (the ones storage has). */
export function serializeContainer(c: Container): string {
  return goValue({
    StreamConfig: {},
    State: {
      Running: false, Paused: false, Restarting: false, OOMKilled: false, RemovalInProgress: false, Dead: false,
      Pid: 0, ExitCode: 0, Error: "", StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, Health: null,
    },
    ID: c.id,
    Created: c.created,
    Managed: false,
    Path: c.path,
    Args: c.args,
    Config: c.config,
    Image: c.image,
    NetworkSettings: null,
    LogPath: "",
    Name: `/${c.name}`,
    Driver: c.driver,
    OS: "linux",
    MountLabel: "",
    ProcessLabel: "",
    RestartCount: 0,
    HasBeenStartedBefore: false,
    HasBeenManuallyStopped: false,
    MountPoints: {},
    SecretReferences: null,
    ConfigReferences: null,
    AppArmorProfile: "",
    HostnamePath: "",
    HostsPath: "",
    ShmPath: "",
    ResolvConfPath: "",
    SeccompProfile: "",
    NoNewPrivileges: false,
  });
}

function parseContainer(text: string, path: string): Container {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new WharfError("INVALID_ARGUMENT", `${path}: ${(e as Error).message}`);
  }
  const str = (key: string): string => {
    const v = raw[key];
    if (typeof v !== "string") throw new WharfError("INVALID_ARGUMENT", `${path}: ${key} is not a string`);
    return v;
  };
  const config = raw.Config;
  if (config === null || typeof config !== "object") throw new WharfError("INVALID_ARGUMENT", `${path}: Config is not an object`);
  const cfg = config as ContainerConfig;
  const args = Array.isArray(raw.Args) ? raw.Args.filter((a): a is string => typeof a === "string") : [];
  return {
    id: str("ID"), name: str("Name").replace(/^\//, ""), created: str("Created"), image: str("Image") as ImageID,
    imageName: typeof cfg.Image === "string" ? cfg.Image : "", config: cfg, driver: str("Driver"),
    path: typeof raw.Path === "string" ? raw.Path : "", args,
  };
}
