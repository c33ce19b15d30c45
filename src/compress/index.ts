/** Compression: detection, decoding (native or portable) and reproducible gzip encoding. */
export { decompress, detectCompression, peek, MAGIC_PEEK_SIZE, type CompressionKind, type Decompressed } from "./detect.ts";
export { gunzipStream, portableGunzip } from "./gzip-decode.ts";
export { zstdDecompressStream, portableZstdDecompress } from "./zstd-decode.ts";
export { gzipEncode, DEFAULT_GZIP_LEVEL, type GzipEncodeOptions } from "./gzip-encode.ts";
export { Crc32 } from "./crc32.ts";
