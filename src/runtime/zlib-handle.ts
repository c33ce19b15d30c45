/**
 * gzip decoded into the caller's buffers (CompressionPort.gunzipInto) through the handle behind a
 * node:zlib Gunzip: `writeSync(flush, in, inOff, inLen, out, outOff, outLen)`, what is left of
 * input and output in the stream's `_writeState`, errors through the handle's `onerror`, which
 * is what node:zlib's own `gunzipSync` runs on. Not documented, so detected: Node 20, Deno and
 * Bun all have it. The streaming Gunzip hops to a thread pool and back for every chunk and hands
 * out a fresh buffer per chunk: on the codec worker, whose thread does nothing else, that
 * overhead cost more than inflating did (Bun: 0.19 s of CPU against 0.01 s for a 157 MB blob
 * of stored blocks).
 */
import type { BlockDecoder } from "../ports.ts";
import { compressionError } from "../compress/errors.ts";

type NodeZlib = typeof import("node:zlib");

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, output: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

interface HandleStream {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
  close(): void;
}

const NO_INPUT = new Uint8Array(0);

/** A factory of handle-driven gunzip decoders, or undefined where node:zlib's Gunzip has no such handle. */
export function handleGunzip(zlib: NodeZlib): (() => BlockDecoder) | undefined {
  const probe = zlib.createGunzip() as unknown as HandleStream;
  const usable = typeof probe._handle?.writeSync === "function" && probe._writeState instanceof Uint32Array && probe._writeState.length >= 2;
  probe.close();
  if (!usable) return undefined;
  const { Z_NO_FLUSH, Z_FINISH } = zlib.constants;
  return () => {
    const stream = zlib.createGunzip() as unknown as HandleStream;
    const handle = stream._handle!;
    const state = stream._writeState!;
    let failure: Error | undefined;
    // Called from inside writeSync: the error is thrown once that returns.
    handle.onerror = (message, _errno, code) => {
      failure ??= Object.assign(new Error(message), { code });
    };
    let closed = false;
    /** One writeSync; a call after close would reach freed zlib state (a native abort), so it throws instead. */
    const step = (flush: number, input: Uint8Array, output: Uint8Array): { read: number; written: number } => {
      if (closed) throw compressionError("gzip", new Error("the decoder is closed"));
      if (failure) throw compressionError("gzip", failure);
      handle.writeSync(flush, input, 0, input.length, output, 0, output.length);
      if (failure) throw compressionError("gzip", failure);
      return { read: input.length - state[1]!, written: output.length - state[0]! };
    };
    return {
      decode: (input, output) => step(Z_NO_FLUSH, input, output),
      finish: (output) => step(Z_FINISH, NO_INPUT, output).written,
      close() {
        if (closed) return;
        closed = true;
        stream.close();
      },
    };
  };
}
