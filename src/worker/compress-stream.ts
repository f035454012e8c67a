// A response body through zlib on its way to the client: streamed (each burst of the server's
// data is flushed with Z_SYNC_FLUSH, as HAProxy flushes each buffer), never buffered whole, with
// backpressure both ways: a client that does not read pauses zlib's output, and zlib's full input
// pauses the server's reading until it drains.
import { constants, createDeflate, createDeflateRaw, createGzip, type Deflate, type DeflateRaw, type Gzip } from 'node:zlib';
import type { CompressionAlgo } from '../config/model.ts';

export interface BodyCompressor {
  /** A piece of the server's body; false: wait for `onDrain` before sending more. */
  write(chunk: Buffer): boolean;
  /** The server's body ended: `done` once the last compressed bytes went to the client. */
  end(done: () => void): void;
  /** The client can take more after `sink` returned false. */
  writable(): void;
  /** The exchange is over early (client gone, error): drop the stream. */
  destroy(): void;
  /** Bytes in from the server and out to the client so far. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

type Zlib = Gzip | Deflate | DeflateRaw;

function zlibFor(algo: Exclude<CompressionAlgo, 'identity'>, level: number): Zlib {
  const opts = { level };
  return algo === 'gzip' ? createGzip(opts) : algo === 'deflate' ? createDeflate(opts) : createDeflateRaw(opts);
}

/** `sink` writes to the client (false: it is full); `onDrain` resumes the server's reading; `fail`
 * ends the exchange when zlib fails. */
export function createCompressor(algo: CompressionAlgo, level: number, sink: (b: Buffer) => boolean, onDrain: () => void, fail: (err: Error) => void): BodyCompressor {
  if (algo === 'identity') return identity(sink, onDrain);
  const z = zlibFor(algo, level);
  let flushQueued = false;
  let clientFull = false;
  const state = { bytesIn: 0, bytesOut: 0 };
  z.on('data', (b: Buffer) => {
    state.bytesOut += b.length;
    if (!sink(b)) {
      clientFull = true;
      z.pause();
    }
  });
  z.on('drain', onDrain);
  z.on('error', fail);
  const flush = (): void => {
    flushQueued = false;
    if (!z.destroyed && !z.writableEnded) z.flush(constants.Z_SYNC_FLUSH);
  };
  return {
    write(chunk) {
      state.bytesIn += chunk.length;
      const ok = z.write(chunk);
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
      return ok;
    },
    end(done) {
      z.once('end', done);
      z.end();
    },
    writable() {
      if (!clientFull) return;
      clientFull = false;
      z.resume();
    },
    destroy() {
      z.removeAllListeners('end');
      z.destroy();
    },
    get bytesIn() {
      return state.bytesIn;
    },
    get bytesOut() {
      return state.bytesOut;
    },
  };
}

/** `identity`: the body unchanged, only re-framed as chunked. */
function identity(sink: (b: Buffer) => boolean, onDrain: () => void): BodyCompressor {
  let n = 0;
  return {
    write(chunk) {
      n += chunk.length;
      return sink(chunk);
    },
    end: (done) => done(),
    writable: onDrain,
    destroy() {},
    get bytesIn() {
      return n;
    },
    get bytesOut() {
      return n;
    },
  };
}
