/*
 * Every limit of the engine, each with the reason for its value.
 */
#ifndef CS_LIMITS_H
#define CS_LIMITS_H

/* Longest export line (a CSV record may span several physical lines; this bounds the record).
 * 1 MiB holds any realistic jsonb capabilities or labels array while keeping a hostile file
 * from making the parser buffer grow without bound. */
#define CS_MAX_LINE_BYTES (1u << 20)

/* A record over CS_MAX_LINE_BYTES is rejected and, with a rejects file, skipped to its end;
 * one still going after this many bytes is not an export at all (/dev/zero, a binary file)
 * and fails the load instead of being read forever. */
#define CS_MAX_RECORD_SKIP_BYTES (64u << 20)

/* Rows per parse batch handed from etl/ to the loader: large enough to amortize per-batch work,
 * small enough (a few MB) to keep peak memory bounded by the partitions in flight. */
#define CS_PARSE_BATCH_ROWS 65536u

/* Rows a fact load keeps staged before it writes the days that are complete (exports come in
 * key, hence time, order): bounds the loader's memory (~120 bytes a staged query fact) whatever
 * the size of the export. */
#define CS_LOAD_FLUSH_ROWS (1u << 19)

/* Values a query kernel processes at a time: fits the L1/L2 caches for a few columns. */
#define CS_VECTOR_SIZE 2048u

/* Rows of one partition (one table, one day). The seed's volume is ~30 K query facts a day;
 * 2^28 keeps every per-partition offset and count in 32 bits with a wide margin. */
#define CS_MAX_PARTITION_ROWS (1u << 28)

/* Row groups of one partition: the manifest numbers them in 16 bits. A partition that would
 * get more is rewritten as one group instead (nightly appends never come close: compaction
 * merges a partition's groups long before, storage-format.md §11). */
#define CS_MAX_ROW_GROUPS 65535u

/* Bytes of one encoded column segment (before or after LZ4): LZ4's block limit is ~2 GiB. */
#define CS_MAX_SEGMENT_BYTES (1u << 30)

#endif
