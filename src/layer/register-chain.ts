/**
 * Registering a whole chain whose diffIDs are known up front (what `load` has from the image
 * config): layers already in the store are reused without being opened; the missing ones are
 * created parent-first, applied (several at once where the driver keeps layers independent),
 * each checked against its diffID, and committed parent-first. On failure every reference this
 * call took is released, so nothing of the failed layer or those after it remains.
 */
import { parseDigest } from "../hash/digest.ts";
import type { ByteInput } from "../io/source.ts";
import type { ChainID, DiffID, Layer } from "./layer.ts";
import type { AppliedTar } from "./apply-tar.ts";
import { DiffIDMismatchError, type DiskLayerStore, type PreparedLayer, type StoredLayer } from "./store.ts";

export interface ChainLayer {
  diffID: DiffID;
  /** Opens the decompressed layer tar; called only when the layer has to be registered. */
  open(): Promise<ByteInput>;
  /**
   * Called once the tar was applied, or failed to (`failure`), before the diffID check: a source
   * that verifies its own bytes (a registry blob) throws here to name what was wrong with them.
   */
  settle?(failure: unknown): Promise<void>;
}

export interface RegisterChainOptions {
  /** Layers applied at once when the driver allows it (default 3). */
  concurrency?: number;
}

export interface RegisterChainResult {
  /** The top layer, referenced (release it, or hand it to an image); undefined for an empty chain. */
  top: Layer | undefined;
  reused: number;
  registered: number;
}


export async function registerChain(
  store: DiskLayerStore,
  layers: readonly ChainLayer[],
  parent: ChainID | undefined,
  options: RegisterChainOptions,
): Promise<RegisterChainResult> {
  const chain: ChainID[] = [];
  for (const layer of layers) chain.push(store.chainIDOf(chain[chain.length - 1] ?? parent, parseDigest(layer.diffID)));
  let firstMissing = 0;
  while (firstMissing < chain.length && store.has(chain[firstMissing]!)) firstMissing++;
  const baseID = firstMissing > 0 ? chain[firstMissing - 1] : parent;
  // `hold` is the one reference this call owns: on the deepest layer reached so far.
  const state: { hold: StoredLayer | undefined } = { hold: baseID === undefined ? undefined : store.retain(baseID) };
  const missing = layers.length - firstMissing;
  if (missing === 0) return { top: state.hold, reused: layers.length, registered: 0 };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 3));
  try {
    if (store.driver.independentLayers && concurrency > 1 && missing > 1) {
      await applyConcurrently(store, layers, firstMissing, concurrency, state);
    } else {
      await applyInOrder(store, layers, firstMissing, state);
    }
  } catch (e) {
    if (state.hold) await store.release(state.hold).catch(() => {});
    throw e;
  }
  return { top: state.hold, reused: firstMissing, registered: missing };
}

async function applyInOrder(store: DiskLayerStore, layers: readonly ChainLayer[], from: number, state: { hold: StoredLayer | undefined }): Promise<void> {
  for (let i = from; i < layers.length; i++) {
    const prepared = await store.prepare(state.hold?.cacheID);
    let applied: AppliedTar;
    try {
      applied = await fillChecked(store, prepared, layers[i]!, i);
    } catch (e) {
      await store.discard(prepared);
      throw e;
    }
    await advance(store, prepared, applied, state);
  }
}

async function applyConcurrently(
  store: DiskLayerStore,
  layers: readonly ChainLayer[],
  from: number,
  concurrency: number,
  state: { hold: StoredLayer | undefined },
): Promise<void> {
  const count = layers.length - from;
  const prepared: PreparedLayer[] = [];
  // Top down, one at a time: a removal looks for its parent's other children (overlay2 drops the
  // parent's `committed` mark with its last child), and a sibling removed beside it could make that
  // removal fail halfway and leave the mark behind.
  const discardFrom = async (k: number) => {
    for (const p of prepared.slice(k).reverse()) await store.discard(p).catch(() => {});
  };
  // Each directory is made on its parent's, so one after another; a layer's fill starts once its
  // own is ready, while those above it are still being made (their downloads run meanwhile).
  const ready: Array<Promise<PreparedLayer>> = [];
  for (let k = 0; k < count; k++) {
    const below = ready[k - 1];
    ready.push((async () => {
      const parent = below ? (await below).staged.cacheID : state.hold?.cacheID;
      return (prepared[k] = await store.prepare(parent));
    })());
    ready[k]!.catch(() => {}); // seen by the fill that awaits it
  }
  const results: AppliedTar[] = [];
  const errors: Array<{ k: number; error: unknown }> = [];
  let next = 0;
  const worker = async () => {
    while (errors.length === 0 && next < count) {
      const k = next++;
      try {
        results[k] = await fillChecked(store, ready[k]!, layers[from + k]!, from + k);
      } catch (error) {
        errors.push({ k, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  await Promise.allSettled(ready); // nothing is discarded while a directory is still being made
  if (errors.length > 0) {
    await discardFrom(0);
    throw errors.sort((a, b) => a.k - b.k)[0]!.error;
  }
  for (let k = 0; k < prepared.length; k++) {
    try {
      await advance(store, prepared[k]!, results[k]!, state);
    } catch (e) {
      await discardFrom(k + 1);
      throw e;
    }
    if (state.hold!.cacheID !== prepared[k]!.staged.cacheID) {
      // Another registration committed this chainID first; ours was discarded, and the layers
      // prepared on top of it are rebuilt on the winner's directory.
      await discardFrom(k + 1);
      return applyInOrder(store, layers, from + k + 1, state);
    }
  }
}

/** Commits on top of the held layer and moves the hold up: the child now holds its parent. */
async function advance(store: DiskLayerStore, prepared: PreparedLayer, applied: AppliedTar, state: { hold: StoredLayer | undefined }): Promise<void> {
  const layer = await store.commit(prepared, applied, state.hold);
  const below = state.hold;
  state.hold = layer;
  if (below) await store.release(below);
}

/**
 * Opens, applies and checks one layer; `index` is Docker's N (position in the image's diff_ids).
 * The input is opened before its directory is ready, so a download is decoded meanwhile.
 */
async function fillChecked(store: DiskLayerStore, prepared: PreparedLayer | Promise<PreparedLayer>, layer: ChainLayer, index: number): Promise<AppliedTar> {
  const input = await layer.open();
  let target: PreparedLayer;
  try {
    target = await prepared;
  } catch (e) {
    // The store failed, not the input: it is only stopped (nothing of it to name).
    await closeInput(input, e);
    throw e;
  }
  let applied: AppliedTar;
  try {
    applied = await store.fill(target, input);
  } catch (e) {
    await layer.settle?.(e);
    throw e;
  } finally {
    await closeInput(input);
  }
  await layer.settle?.(undefined);
  if (applied.diffID !== layer.diffID) {
    throw new DiffIDMismatchError(`invalid diffID for layer ${index}: expected "${layer.diffID}", got "${applied.diffID}"`, layer.diffID, applied.diffID);
  }
  return applied;
}

/** A handle is closed; a stream is cancelled only when `reason` is given (a fill cancels its own). */
async function closeInput(input: ByteInput, reason?: unknown): Promise<void> {
  if (input instanceof ReadableStream) {
    if (reason !== undefined) await input.cancel(reason).catch(() => {});
    return;
  }
  const closable = input as { close?: () => Promise<void> };
  if (!(input instanceof Uint8Array) && typeof closable.close === "function") await closable.close().catch(() => {});
}
