/*
 * A Parquet file writer fed with Arrow arrays (the scan's Arrow C Stream): one file, one or
 * more row groups, every column chunk written as a dictionary page (when a dictionary pays)
 * and data pages (format v1), LZ4_RAW-compressed when that pays, with column statistics
 * (min, max, NULL count) and a Thrift compact footer. Written from the Parquet specification
 * (parquet-format's parquet.thrift, LogicalTypes.md, Encodings.md).
 *
 * Arrow → Parquet types:
 *   int16 "s"          → INT32, INTEGER(16, signed)
 *   int32 "i"          → INT32
 *   int64 "l"          → INT64
 *   decimal128 "d:p,s" → INT32 (p <= 9) or INT64 (p <= 18), DECIMAL(p, s)
 *   date32 "tdD"       → INT32, DATE
 *   timestamp "tsu:TZ" → INT64, TIMESTAMP(MICROS, adjusted to UTC when TZ is set)
 *   utf8 "u"           → BYTE_ARRAY, STRING (JSON when tagged with the extension arrow.json)
 *   bool "b"           → BOOLEAN
 *   list<utf8> "+l"    → the three-level LIST of an optional STRING element
 * A field's Arrow nullable flag makes its column OPTIONAL, else REQUIRED (a NULL in a
 * REQUIRED column is an error). Value encodings per column chunk, by measured size: PLAIN,
 * RLE_DICTIONARY, DELTA_BINARY_PACKED (integers); levels in the RLE / bit-packing hybrid.
 */
#ifndef CS_ETL_PARQUET_WRITE_H
#define CS_ETL_PARQUET_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/base/arrow_abi.h"
#include "storage/base/status.h"

enum cs_pq_compression {
    CS_PQ_LZ4_RAW = 0,      /* LZ4_RAW pages when the column chunk gets smaller by 1/16 */
    CS_PQ_UNCOMPRESSED = 1, /* never compress */
};

/* Rows of a row group, unless the options say otherwise: large enough that readers skip
 * per-group overhead, small enough to bound the writer's memory (it keeps a row group's Arrow
 * arrays until the group is written). */
#define CS_PQ_ROW_GROUP_ROWS (1u << 20)
/* Rows of a data page. */
#define CS_PQ_PAGE_ROWS (1u << 17)

/* Working memory a writer can reuse from one file to the next (one per thread). */
struct cs_pq_scratch;
struct cs_pq_scratch *cs_pq_scratch_new(void);
void cs_pq_scratch_free(struct cs_pq_scratch *s);

struct cs_pq_options {
    int compression;               /* enum cs_pq_compression */
    size_t row_group_rows;         /* 0 = CS_PQ_ROW_GROUP_ROWS */
    size_t page_rows;              /* 0 = CS_PQ_PAGE_ROWS */
    const char *created_by;        /* NULL = "colstore" */
    struct cs_pq_scratch *scratch; /* NULL: the writer has its own for the file */
};

struct cs_pq_file_stats {
    uint64_t rows;
    uint64_t row_groups;
    uint64_t bytes; /* the file's size */
};

struct cs_pq_writer;

/* cs_pq_open() - a writer of the Parquet file open for writing at fd (positioned at 0; not
 * closed by the writer), with the columns of `schema` (a struct "+s" whose children are the
 * columns; not retained). `path` names the file in messages. CS_EINVAL for a type the
 * writer does not map. */
int cs_pq_open(int fd,
               const char *path,
               const struct ArrowSchema *schema,
               const struct cs_pq_options *o,
               struct cs_pq_writer **out,
               struct cs_error *err);
/* cs_pq_write() - append the rows of `batch` (a struct array of the schema; offset 0). The
 * writer takes the array over (batch->release is NULL afterwards) and releases it once its
 * row group is written. CS_EINVAL for an array that does not match the schema, CS_EIO. */
int cs_pq_write(struct cs_pq_writer *w, struct ArrowArray *batch, struct cs_error *err);
/* cs_pq_finish() - write what is buffered and the footer. st may be NULL. */
int cs_pq_finish(struct cs_pq_writer *w, struct cs_pq_file_stats *st, struct cs_error *err);
/* cs_pq_free() - release the writer and the arrays it still holds. NULL is a no-op. */
void cs_pq_free(struct cs_pq_writer *w);

#endif
