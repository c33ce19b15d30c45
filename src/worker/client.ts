/**
 * The main thread's side of the wharf workers (jobs.ts): jobs go out in order and replies come
 * back in the same order. One worker per runtime, shared by every user (and a second for work
 * that splits, `workerClients`); each keeps the process alive only while jobs are in flight.
 * `workerClient` answers undefined when the runtime has no workers or the worker cannot start,
 * and callers then do the work inline.
 */
import type { WorkerPort, WorkersPort } from "../ports.ts";
import type { WorkerJob } from "./protocol.ts";

/**
 * Work from this many bytes on (a layer, an image) is worth the worker: below it, starting the
 * thread costs more than it saves.
 */
export const WORKER_WORTH_BYTES = 8 << 20;

let nextStream = 1;

export class WorkerClient {
  private readonly waiting: Array<{ resolve: (reply: unknown) => void; reject: (error: Error) => void }> = [];
  private broken: Error | undefined;

  constructor(private readonly worker: WorkerPort) {
    worker.unref();
    worker.onMessage((message) => {
      const next = this.waiting.shift();
      if (this.waiting.length === 0) worker.unref();
      next?.resolve(message);
    });
    worker.onError((error) => {
      this.broken = error;
      for (const w of this.waiting.splice(0)) w.reject(error);
      worker.unref();
    });
  }

  /** The worker died: later work is done inline. */
  get isBroken(): boolean {
    return this.broken !== undefined;
  }

  /** Jobs sent and not yet answered. */
  get inFlight(): number {
    return this.waiting.length;
  }

  /** A new stream id (unique across workers), for jobs whose state carries from one to the next. */
  openStream(): number {
    return nextStream++;
  }

  /** Sends a job that gets a reply; `transfer`red buffers are the worker's until it answers. */
  send<R>(job: WorkerJob, transfer: ArrayBuffer[]): Promise<R> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<R>((resolve, reject) => {
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve: resolve as (reply: unknown) => void, reject });
      this.worker.post(job, transfer);
    });
  }

  /** Sends a job that gets no reply. */
  post(job: WorkerJob): void {
    if (!this.broken) this.worker.post(job, []);
  }

  /** Resolves when the worker answers an empty job; rejects when it cannot start. */
  async ready(): Promise<void> {
    await this.send({ kind: "crc", stream: 0, buf: new ArrayBuffer(0), ranges: new Int32Array(0), expected: new Uint8Array(0) }, []);
  }
}

const shared = new WeakMap<WorkersPort, { client: Promise<WorkerClient | undefined>; ready?: WorkerClient; more?: Promise<WorkerClient | undefined> }>();

/**
 * The runtime's workers for work that splits into independent jobs (reassembly's file reads
 * and checks): the shared one, and a second started on first call. Empty without workers; one
 * when the second cannot start.
 */
export async function workerClients(workers: WorkersPort | undefined): Promise<WorkerClient[]> {
  const first = await workerClient(workers);
  if (!first || !workers) return [];
  const known = shared.get(workers)!;
  known.more ??= start(workers);
  const second = await known.more;
  return second && !second.isBroken ? [first, second] : [first];
}

/** The runtime's worker once it answers; undefined without workers or when it fails to start. */
export function workerClient(workers: WorkersPort | undefined): Promise<WorkerClient | undefined> {
  if (!workers) return Promise.resolve(undefined);
  let known = shared.get(workers);
  if (!known) {
    const entry: { client: Promise<WorkerClient | undefined>; ready?: WorkerClient } = { client: start(workers) };
    entry.client.then((client) => (entry.ready = client));
    shared.set(workers, entry);
    known = entry;
  }
  return known.client.then((client) => (client?.isBroken ? undefined : client));
}

/** The worker if it already answered, without waiting; starts it otherwise (for later calls). */
export function readyWorkerClient(workers: WorkersPort | undefined): WorkerClient | undefined {
  if (!workers) return undefined;
  const known = shared.get(workers);
  if (!known) {
    void workerClient(workers);
    return undefined;
  }
  return known.ready && !known.ready.isBroken ? known.ready : undefined;
}

function start(workers: WorkersPort): Promise<WorkerClient | undefined> {
  return spawnReady(workers, (worker) => new WorkerClient(worker));
}

/** A new worker wrapped by `wrap`, once it answers; undefined (the thread ended) when it cannot start. */
export async function spawnReady<T extends { ready(): Promise<void> }>(workers: WorkersPort, wrap: (worker: WorkerPort) => T): Promise<T | undefined> {
  let worker: WorkerPort | undefined;
  try {
    worker = await workers.spawn();
    const wrapped = wrap(worker);
    await wrapped.ready();
    return wrapped;
  } catch {
    await worker?.terminate().catch(() => {});
    return undefined;
  }
}
