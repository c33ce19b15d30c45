/**
 * The codec worker's side of off-thread decoding (protocol.ts CodecToWorker): each stream feeds
 * the worker's own native decoder, hashes the input and the output and sends the output back by
 * transfer, a chunk per credit, and both digests with the end.
 * Runtime-agnostic: the worker entry hands it the decoders and its port's `post`.
 */
import type { CompressionPort, Digester, DigesterFactory } from "../ports.ts";
import type { CodecFormat, CodecFromWorker, CodecToWorker } from "./protocol.ts";

type Post = (message: CodecFromWorker, transfer: ArrayBuffer[]) => void;

/** Spent output buffers kept for reuse (a few per stream in flight, for three streams). */
const SPARE_OUTPUT = 16;

interface HostStream {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Writes in order; each posts `codec-taken` once the decoder took its piece. */
  writes: Promise<void>;
  /** Hashes every input piece as it arrives (a pull's blob digest); `inputEnded` once the last came. */
  input: Digester;
  inputEnded: boolean;
  credits: number;
  wake: (() => void) | undefined;
  failed: boolean;
  cancel: () => Promise<void>;
}

/** `codecs(chunkSize)`: the worker's inline decoders at the output chunk size the caller asked for. */
export function createCodecHost(native: { digests: DigesterFactory; codecs: (chunkSize: number) => CompressionPort }, post: Post): (message: CodecToWorker) => void {
  const streams = new Map<number, HostStream>();
  // Output buffers the main thread sent back: filling one again spares a fresh allocation per
  // chunk on this side and a collection of it on that one. Kept while the worker lives (at most
  // SPARE_OUTPUT), so later streams start on memory already faulted in. Each is made at least
  // the stream's chunk size, so any of them holds any later chunk (one made to a short chunk's
  // length would sit on the spare list and serve nothing).
  const spare: ArrayBuffer[] = [];
  const outputBuffer = (length: number, chunkSize: number): ArrayBuffer => {
    for (let reused = spare.pop(); reused; reused = spare.pop()) if (reused.byteLength >= length) return reused;
    return new ArrayBuffer(Math.max(length, chunkSize));
  };
  const fail = (id: number, error: unknown): void => {
    const s = streams.get(id);
    if (!s || s.failed) return;
    s.failed = true;
    streams.delete(id);
    const code = (error as { code?: unknown } | null)?.code;
    post({ kind: "codec-error", stream: id, message: error instanceof Error ? error.message : String(error), code: typeof code === "string" ? code : undefined }, []);
    void s.cancel();
  };

  const open = (id: number, format: CodecFormat, chunkSize: number): void => {
    const port = native.codecs(chunkSize);
    const make = format === "gzip" ? port.gunzip : port.zstdDecompress;
    if (!make) {
      post({ kind: "codec-error", stream: id, message: `this worker has no native ${format} decoder` }, []);
      return;
    }
    const codec = make.call(port);
    const reader = codec.readable.getReader();
    const digester = native.digests.sha256();
    const s: HostStream = {
      writer: codec.writable.getWriter(),
      writes: Promise.resolve(),
      input: native.digests.sha256(),
      inputEnded: false,
      credits: 0,
      wake: undefined,
      failed: false,
      cancel: async () => {
        s.wake?.();
        await Promise.allSettled([reader.cancel(), s.writer.abort()]);
      },
    };
    streams.set(id, s);
    void (async () => {
      try {
        for (;;) {
          while (s.credits === 0 && !s.failed) await new Promise<void>((resolve) => (s.wake = resolve));
          if (s.failed) return;
          const { done, value } = await reader.read();
          if (done) break;
          s.credits--;
          digester.update(value);
          // Always a copy: a decoder may reuse the buffer behind its chunk (here, off the main thread).
          const buf = outputBuffer(value.length, chunkSize);
          new Uint8Array(buf).set(value);
          post({ kind: "codec-out", stream: id, buf, length: value.length }, [buf]);
        }
        if (s.failed) return; // aborted by the main thread while the last read was out
        streams.delete(id);
        post({ kind: "codec-done", stream: id, digest: digester.hex(), inputDigest: s.inputEnded ? s.input.hex() : undefined }, []);
      } catch (e) {
        fail(id, e);
      }
    })();
  };

  return (message) => {
    if (message.kind === "codec-ping") return post({ kind: "codec-pong", stream: 0 }, []);
    if (message.kind === "codec-open") return open(message.stream, message.format, message.chunkSize);
    // A spent buffer serves any stream, even when its own has ended meanwhile.
    if (message.kind === "codec-credit" && message.buf && spare.length < SPARE_OUTPUT) spare.push(message.buf);
    const s = streams.get(message.stream);
    if (!s) return; // failed or finished already: late input and credit are dropped
    switch (message.kind) {
      case "codec-in": {
        const bytes = new Uint8Array(message.buf, 0, message.length);
        s.input.update(bytes);
        s.writes = s.writes.then(async () => {
          if (s.failed) return;
          await s.writer.write(bytes); // resolves once the decoder consumed the piece (node-compat.ts)
          post({ kind: "codec-taken", stream: message.stream, buf: message.buf }, [message.buf]);
        }).catch((e: unknown) => fail(message.stream, e));
        return;
      }
      case "codec-credit":
        s.credits++;
        s.wake?.();
        s.wake = undefined;
        return;
      case "codec-end":
        s.inputEnded = true;
        s.writes = s.writes.then(() => (s.failed ? undefined : s.writer.close())).catch((e: unknown) => fail(message.stream, e));
        return;
      case "codec-abort":
        s.failed = true;
        streams.delete(message.stream);
        void s.cancel();
        return;
    }
  };
}
