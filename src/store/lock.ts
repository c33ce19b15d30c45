/**
 * An inter-process lock on a data-root, the same from Node, Deno and Bun (Node has no flock):
 * the lock file `<root>/wharf.lock` names its owner as `<pid> <start time>` and is created by
 * `link(2)` from a fully written private file, so it appears whole or not at all. An owner killed
 * by SIGKILL leaves the file behind; it is stale once `/proc/<pid>` is gone or belongs to a
 * process started at another time (a reused pid), and is then taken over.
 */
import type { FilesPort, RandomPort } from "../ports.ts";
import { WharfError, isWharfError } from "../errors.ts";
import { randomID } from "../layer/random-id.ts";

export const LOCK_FILE_NAME = "wharf.lock";

export interface LockOptions {
  /** How long to wait for a live owner before failing (default 10 s). */
  timeoutMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
}

export interface RootLock {
  readonly path: string;
  release(): Promise<void>;
}

/** A process as /proc knows it. */
interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTime: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function lockRoot(files: FilesPort, random: RandomPort, root: string, options: LockOptions = {}): Promise<RootLock> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const path = `${root}/${LOCK_FILE_NAME}`;
  const self = await currentProcess(files);
  const content = `${self.pid} ${self.startTime}`;
  const candidate = `${path}.${self.pid}-${randomID(random).slice(0, 12)}`;
  const handle = await files.open(candidate, "wx", 0o644);
  try {
    // No fsync: the file only has to be whole to other processes, which share the page cache;
    // after a crash its owner is gone, and an empty or torn lock file is stale (parseOwner).
    await handle.write(encoder.encode(content));
  } finally {
    await handle.close();
  }
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (await tryLink(files, candidate, path)) return { path, release: () => releaseLock(files, path, content) };
      const text = await readText(files, path);
      if (text === undefined) continue; // released between our link and read
      const owner = parseOwner(text);
      if (owner && owner.pid === self.pid && owner.startTime === self.startTime) {
        throw new WharfError("LOCKED", `root ${root} is already open in this process`);
      }
      if (owner && (await isAlive(files, owner))) {
        if (Date.now() >= deadline) throw new WharfError("LOCKED", `root ${root} is locked by process ${owner.pid}`);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
      await breakStale(files, random, path, text);
    }
  } finally {
    await files.remove(candidate).catch(() => {});
  }
}

async function tryLink(files: FilesPort, from: string, to: string): Promise<boolean> {
  try {
    await files.link(from, to);
    return true;
  } catch (e) {
    if (isWharfError(e, "IO") && e.errno === "EEXIST") return false;
    throw e;
  }
}

/**
 * Moves a stale lock aside, then checks it was the one judged stale: if a racer took the lock in
 * between, its fresh file is what moved, and it is put back.
 */
async function breakStale(files: FilesPort, random: RandomPort, path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${randomID(random).slice(0, 12)}`;
  try {
    await files.rename(path, aside);
  } catch (e) {
    if (isWharfError(e, "IO") && e.errno === "ENOENT") return;
    throw e;
  }
  const moved = await readText(files, aside);
  if (moved !== staleText) await tryLink(files, aside, path);
  await files.remove(aside).catch(() => {});
}

async function releaseLock(files: FilesPort, path: string, content: string): Promise<void> {
  // Only our own lock is removed: after a takeover (we were judged dead) it is someone else's.
  if ((await readText(files, path)) === content) await files.remove(path);
}

async function currentProcess(files: FilesPort): Promise<Owner> {
  let pidText: string;
  try {
    pidText = await files.readlink("/proc/self");
  } catch (e) {
    throw new WharfError("UNSUPPORTED", `cannot lock a data-root without /proc: ${(e as Error).message}`);
  }
  const pid = Number(pidText);
  const startTime = await startTimeOf(files, pid);
  if (!Number.isSafeInteger(pid) || startTime === undefined) throw new WharfError("UNSUPPORTED", `cannot identify this process from /proc/self (${pidText})`);
  return { pid, startTime };
}

async function isAlive(files: FilesPort, owner: Owner): Promise<boolean> {
  return (await startTimeOf(files, owner.pid)) === owner.startTime;
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count after ")". */
async function startTimeOf(files: FilesPort, pid: number): Promise<string | undefined> {
  const stat = await readText(files, `/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After ")" come fields 3, 4, …; field 22 is at index 19.
  const start = fields[19];
  return start !== undefined && /^[0-9]+$/.test(start) ? start : undefined;
}

function parseOwner(text: string): Owner | undefined {
  const match = /^([0-9]+) ([0-9]+)$/.exec(text.trim());
  return match ? { pid: Number(match[1]), startTime: match[2]! } : undefined;
}

async function readText(files: FilesPort, path: string): Promise<string | undefined> {
  try {
    return decoder.decode(await files.readFile(path));
  } catch (e) {
    if (isWharfError(e, "IO") && (e.errno === "ENOENT" || e.errno === "ESRCH")) return undefined;
    throw e;
  }
}
