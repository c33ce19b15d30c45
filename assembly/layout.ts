// Fixed memory layout of the engine. Everything lives above the AssemblyScript static data;
// memory is grown once in `init` and never again, so JS views of it stay valid.

/** Bytes of the input window. Holds at least one maximal extension record (1 MiB of GNU/PAX data). */
export const WINDOW_SIZE: u32 = 2 << 20;
/** Readable slack after the window so 16-byte SIMD loads near its end stay in bounds. */
export const WINDOW_SLACK: u32 = 64;

/** One entry record in the result table (see ENTRY_* offsets). */
export const ENTRY_BYTES: u32 = 128;
/** A window of 2 MiB holds at most 4096 header blocks. */
export const ENTRY_CAPACITY: u32 = 4096;

/** One PAX record: key offset, key length, value offset, value length (window offsets). */
export const PAX_BYTES: u32 = 16;
export const PAX_CAPACITY: u32 = 16384;

/** CRC-64/ISO tables: 16 slicing + 8 lane-shift tables of 256 × u64, and 64 u64 of scratch. */
export const CRC_TABLE_BYTES: u32 = 24 * 256 * 8 + 64 * 8;

// Entry record field offsets.
export const E_KIND: u32 = 0; // u32: KIND_*
export const E_ENTRY_START: u32 = 4; // u32: first block of this entry (extension headers included)
export const E_HEADER: u32 = 8; // u32: the entry's own header block
export const E_BODY: u32 = 12; // u32: where the body starts (= end of the raw header bytes)
export const E_SIZE: u32 = 16; // i64: size after PAX override (header-only types keep it)
export const E_MODE: u32 = 24; // i64
export const E_UID: u32 = 32; // i64
export const E_GID: u32 = 40; // i64
export const E_MTIME: u32 = 48; // i64
export const E_DEVMAJOR: u32 = 56; // i64
export const E_DEVMINOR: u32 = 64; // i64
export const E_BODY_LEN: u32 = 72; // i64: bytes of body that follow (0 for header-only types)
export const E_CRC: u32 = 80; // i64: CRC-64/ISO of the body when F_CRC is set
export const E_TYPEFLAG: u32 = 88; // u8
export const E_FORMAT: u32 = 89; // u8: FORMAT_*
export const E_PAD: u32 = 90; // u16: padding bytes after the body
export const E_FLAGS: u32 = 92; // u32: F_*
export const E_LONG_NAME: u32 = 96; // u32 offset, u32 length (up to the first NUL)
export const E_LONG_LINK: u32 = 104; // u32 offset, u32 length
export const E_PAX_FIRST: u32 = 112; // u32 index into the PAX table
export const E_PAX_COUNT: u32 = 116; // u32
export const E_NAME_LEN: u32 = 120; // u8 name, u8 linkname, u8 prefix, u8 uname
export const E_GNAME_LEN: u32 = 124; // u8 gname, u8 error code, u16 reserved

export const KIND_ENTRY: u32 = 1;
export const KIND_END: u32 = 2;
export const KIND_ERROR: u32 = 3;

export const FORMAT_V7: u8 = 1;
export const FORMAT_USTAR: u8 = 2; // ustar magic: USTAR or PAX
export const FORMAT_GNU: u8 = 3;
export const FORMAT_STAR: u8 = 4;

export const F_CRC: u32 = 1; // E_CRC holds the CRC of the whole body
export const F_LONG_NAME: u32 = 2;
export const F_LONG_LINK: u32 = 4;
export const F_PAX: u32 = 8;
export const F_PAX_SIZE: u32 = 16; // size came from a PAX record

export const ERR_CHECKSUM: u8 = 1;
export const ERR_HEADER: u8 = 2;
export const ERR_PAX: u8 = 3;
export const ERR_TOO_LONG: u8 = 4; // extension data over 1 MiB (Go: ErrFieldTooLong)
export const ERR_TOO_MANY_PAX: u8 = 5;

/** Why `scan` stopped. */
export const STOP_NEED_DATA: u32 = 0; // an incomplete header or extension record at `scanStop`
export const STOP_BODY: u32 = 1; // the last entry's body or padding runs past the window
export const STOP_END: u32 = 2; // end marker (two zero blocks) consumed
export const STOP_ERROR: u32 = 3;
export const STOP_TABLE_FULL: u32 = 4;

/** Go's maxSpecialFileSize for PAX and GNU long name data. */
export const MAX_SPECIAL: i64 = 1 << 20;
