/*
 * Internal to the Parquet writer: a column as the writer sees it (etl/parquet_write.c maps the
 * Arrow schema onto these) and the encoder of one column chunk (etl/parquet_column.c).
 */
#ifndef CS_ETL_PARQUET_INT_H
#define CS_ETL_PARQUET_INT_H

#include <stdbool.h>

#include "etl/parquet_enc.h"
#include "etl/parquet_write.h"

/* Parquet's physical types, encodings, codecs and page types (parquet.thrift). */
enum {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_BYTE_ARRAY = 6,
};
enum {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_RLE = 3,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_RLE_DICTIONARY = 8,
};
enum {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_LZ4_RAW = 7,
};
enum {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_DICTIONARY = 2,
};

/* Where a column's values come from in its Arrow array. */
enum cs_pq_src {
    CS_PQ_SRC_BOOL = 1,
    CS_PQ_SRC_I16 = 2,
    CS_PQ_SRC_I32 = 3,
    CS_PQ_SRC_I64 = 4,
    CS_PQ_SRC_DEC128 = 5, /* 16-byte values that must fit in 64 bits */
    CS_PQ_SRC_UTF8 = 6,
    CS_PQ_SRC_LIST_UTF8 = 7,
};

/* Logical annotations. */
enum cs_pq_logical {
    CS_PQ_LOG_NONE = 0,
    CS_PQ_LOG_INT16 = 1,
    CS_PQ_LOG_DATE = 2,
    CS_PQ_LOG_TIMESTAMP = 3, /* MICROS */
    CS_PQ_LOG_DECIMAL = 4,
    CS_PQ_LOG_STRING = 5,
    CS_PQ_LOG_JSON = 6,
};

/* One top-level column (a list is one column with one leaf). */
struct cs_pq_col {
    char name[128];
    int src;     /* enum cs_pq_src */
    int phys;    /* PQ_BOOLEAN .. PQ_BYTE_ARRAY (of the leaf) */
    int logical; /* enum cs_pq_logical (of the leaf) */
    bool utc;    /* TIMESTAMP: adjusted to UTC */
    int precision, scale;
    bool optional; /* the top-level field may be NULL */
    int max_def, max_rep;
};

/* What the footer needs to know of a written column chunk. Offsets are from the chunk's
 * first byte. */
struct cs_pq_chunk {
    int64_t num_values;               /* level entries (rows; list entries for a list) */
    int64_t uncompressed, compressed; /* bytes, page headers included */
    int64_t dict_offset;              /* -1 when there is no dictionary page */
    int64_t data_offset;
    int encodings[4];
    int nencodings;
    int codec;
    int64_t null_count; /* top-level NULLs (-1: not known, for lists) */
    bool has_minmax;
    uint8_t min[64], max[64]; /* PLAIN-encoded statistics, without a length for strings */
    size_t min_len, max_len;
};

/* A growable array of working memory (contents not kept across uses). */
struct cs_pq_arr {
    void *p;
    size_t cap; /* bytes */
};

/* The writer's working memory, reused from column chunk to column chunk (and, through
 * cs_pq_options.scratch, from file to file): allocating it afresh for every chunk costs a page
 * fault per 4 KiB every time, which was half the time of an export. */
struct cs_pq_scratch {
    struct cs_pq_arr def, rep, row_lev, iv, bv, sp, sl; /* gathered levels, values */
    struct cs_pq_arr idx, first, slot, hash;            /* the dictionary */
    struct cs_pq_arr pages;                             /* page descriptions */
    struct cs_pq_buf raw, comp, chunk;                  /* page bodies, the chunk */
};

/* cs_pq_arr_get() - a->p with room for `bytes` (grown as needed), or NULL. */
void *cs_pq_arr_get(struct cs_pq_arr *a, size_t bytes);

/* cs_pq_column_chunk() - encode column `col` (child j of each struct array batches[0..nb))
 * as one column chunk appended to out, and describe it in *m. CS_EINVAL when the arrays do not
 * hold what the column says (a NULL in a REQUIRED column, a decimal beyond 64 bits), CS_ENOMEM. */
int cs_pq_column_chunk(const struct cs_pq_col *col,
                       size_t j,
                       struct ArrowArray *const *batches,
                       size_t nb,
                       const struct cs_pq_options *o,
                       struct cs_pq_scratch *scratch,
                       struct cs_pq_buf *out,
                       struct cs_pq_chunk *m,
                       struct cs_error *err);

#endif
