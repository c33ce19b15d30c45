/**
 * The codec worker's side of off-thread decoding (protocol.ts CodecToWorker): each stream feeds
 * the worker's own native decoder, hashes the input and the output and sends the output back by
 * transfer, a buffer per credit, and both digests with the end. gzip goes through a block
 * decoder where the runtime has one (CompressionPort.gunzipInto): inflated on this thread
 * straight into the buffers that are sent, each filled before it leaves unless no input waits.
 * Runtime-agnostic: the worker entry hands it the decoders and its port's `post`.
 */
import type { BlockDecoder, CompressionPort, Digester, DigesterFactory } from "../ports.ts";
import type { CodecFormat, CodecFromWorker, CodecToWorker } from "./protocol.ts";

type Post = (message: CodecFromWorker, transfer: ArrayBuffer[]) => void;

/** Spent output buffers kept for reuse (a few per stream in flight, for three streams). */
const SPARE_OUTPUT = 16;
/** No output buffer taken yet: the next decoding step takes one. */
const NO_OUTPUT = new Uint8Array(0);

interface HostStream {
  /** Decodes one input piece; resolves once the decoder is done with its bytes. */
  take(bytes: Uint8Array): Promise<void>;
  /** After the last piece: the rest of the output, then `codec-done`. */
  end(): Promise<void>;
  /** Takes in order; each posts `codec-taken` once the decoder took its piece. */
  writes: Promise<void>;
  /** Pieces received and not yet taken. */
  queued: number;
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

  /** Waits for the main thread's credit for one more output buffer; false once the stream failed. */
  const credit = async (s: HostStream): Promise<boolean> => {
    while (s.credits === 0 && !s.failed) await new Promise<void>((resolve) => (s.wake = resolve));
    if (s.failed) return false;
    s.credits--;
    return true;
  };
  const done = (id: number, s: HostStream, output: Digester): void => {
    streams.delete(id);
    post({ kind: "codec-done", stream: id, digest: output.hex(), inputDigest: s.inputEnded ? s.input.hex() : undefined }, []);
  };
  const base = (cancel: () => Promise<void>): Omit<HostStream, "take" | "end"> => ({
    writes: Promise.resolve(),
    queued: 0,
    input: native.digests.sha256(),
    inputEnded: false,
    credits: 0,
    wake: undefined,
    failed: false,
    cancel,
  });

  /** The runtime's streaming decoder: each chunk it makes is copied into a buffer of ours and sent. */
  const streamed = (id: number, codec: TransformStream<Uint8Array, Uint8Array>, chunkSize: number): HostStream => {
    const reader = codec.readable.getReader();
    const writer = codec.writable.getWriter();
    const output = native.digests.sha256();
    const s: HostStream = {
      ...base(async () => {
        s.wake?.();
        await Promise.allSettled([reader.cancel(), writer.abort()]);
      }),
      take: (bytes) => writer.write(bytes), // resolves once the decoder consumed the piece (node-compat.ts)
      end: () => writer.close(),
    };
    void (async () => {
      try {
        for (;;) {
          if (!(await credit(s))) return;
          const { done: ended, value } = await reader.read();
          if (ended) break;
          output.update(value);
          // Always a copy: a decoder may reuse the buffer behind its chunk (here, off the main thread).
          const buf = outputBuffer(value.length, chunkSize);
          new Uint8Array(buf).set(value);
          post({ kind: "codec-out", stream: id, buf, length: value.length }, [buf]);
        }
        if (!s.failed) done(id, s, output); // else aborted by the main thread while the last read was out
      } catch (e) {
        fail(id, e);
      }
    })();
    return s;
  };

  /** A block decoder writing into our buffers: one is sent when full, or when no input waits. */
  const blocks = (id: number, decoder: BlockDecoder, chunkSize: number): HostStream => {
    const output = native.digests.sha256();
    let out = NO_OUTPUT;
    let filled = 0;
    const room = (): Uint8Array => {
      if (out === NO_OUTPUT) out = new Uint8Array(outputBuffer(chunkSize, chunkSize));
      return out.subarray(filled);
    };
    const send = async (): Promise<void> => {
      if (filled === 0 || !(await credit(s))) return;
      output.update(out.subarray(0, filled));
      post({ kind: "codec-out", stream: id, buf: out.buffer as ArrayBuffer, length: filled }, [out.buffer as ArrayBuffer]);
      out = NO_OUTPUT;
      filled = 0;
    };
    /** Runs `step` into the free room until it leaves some unfilled (its input used up), sending full buffers. */
    const drive = async (step: (into: Uint8Array) => number): Promise<void> => {
      for (;;) {
        const into = room();
        const written = step(into);
        filled += written;
        if (filled === out.length) await send();
        if (s.failed || written < into.length) return;
      }
    };
    const s: HostStream = {
      ...base(async () => {
        s.wake?.();
        decoder.close();
      }),
      async take(bytes) {
        let read = 0;
        await drive((into) => {
          const step = decoder.decode(read === 0 ? bytes : bytes.subarray(read), into);
          read += step.read;
          return step.written;
        });
        // Output waits for more input to fill its buffer, unless none is coming yet.
        if (s.queued <= 1 && !s.inputEnded) await send();
      },
      async end() {
        await drive((into) => decoder.finish(into));
        await send();
        decoder.close();
        if (!s.failed) done(id, s, output);
      },
    };
    return s;
  };

  const open = (id: number, format: CodecFormat, chunkSize: number): void => {
    const port = native.codecs(chunkSize);
    if (format === "gzip" && port.gunzipInto) {
      streams.set(id, blocks(id, port.gunzipInto(), chunkSize));
      return;
    }
    const make = format === "gzip" ? port.gunzip : port.zstdDecompress;
    if (!make) {
      post({ kind: "codec-error", stream: id, message: `this worker has no native ${format} decoder` }, []);
      return;
    }
    streams.set(id, streamed(id, make.call(port), chunkSize));
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
        s.queued++;
        s.writes = s.writes.then(async () => {
          if (s.failed) return;
          await s.take(bytes);
          s.queued--;
          if (!s.failed) post({ kind: "codec-taken", stream: message.stream, buf: message.buf }, [message.buf]);
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
        s.writes = s.writes.then(() => (s.failed ? undefined : s.end())).catch((e: unknown) => fail(message.stream, e));
        return;
      case "codec-abort":
        s.failed = true;
        streams.delete(message.stream);
        void s.cancel();
        return;
    }
  };
}
