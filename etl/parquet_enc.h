/*
 * The byte-level pieces of a Parquet file (etl/parquet_*.c), written from the format's
 * specification (parquet-format: parquet.thrift, Encodings.md):
 * - a growable byte buffer;
 * - the Thrift compact protocol, enough to write the footer and page headers: structs, fields
 *   (bool, i8, i32, i64, binary), lists, unions as one-field structs;
 * - page encodings: PLAIN (INT32, INT64, BYTE_ARRAY, BOOLEAN), the RLE / bit-packing hybrid
 *   (definition and repetition levels, dictionary indices), DELTA_BINARY_PACKED.
 * Nothing here knows a table or a file layout: etl/parquet_write.c puts them together.
 */
#ifndef CS_ETL_PARQUET_ENC_H
#define CS_ETL_PARQUET_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- bytes ---- */

/* A growable buffer; `failed` is set (and later writes ignored) when memory runs out. */
struct cs_pq_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
};

void cs_pq_buf_free(struct cs_pq_buf *b);
/* cs_pq_buf_room() - a pointer to n more bytes after len (len not advanced), or NULL. */
uint8_t *cs_pq_buf_room(struct cs_pq_buf *b, size_t n);
void cs_pq_buf_put(struct cs_pq_buf *b, const void *src, size_t n);
void cs_pq_buf_u8(struct cs_pq_buf *b, uint8_t v);
void cs_pq_buf_u32le(struct cs_pq_buf *b, uint32_t v);
void cs_pq_buf_u64le(struct cs_pq_buf *b, uint64_t v);
/* ULEB128, and zigzag then ULEB128. */
void cs_pq_buf_uvarint(struct cs_pq_buf *b, uint64_t v);
void cs_pq_buf_zigzag(struct cs_pq_buf *b, int64_t v);

/* ---- Thrift compact protocol ---- */

/* Compact protocol type ids (of fields and list elements). */
enum cs_thrift_type {
    CS_TC_BOOL_TRUE = 1, /* as a field type: the field's value; in lists: BOOLEAN */
    CS_TC_BOOL_FALSE = 2,
    CS_TC_I8 = 3,
    CS_TC_I16 = 4,
    CS_TC_I32 = 5,
    CS_TC_I64 = 6,
    CS_TC_DOUBLE = 7,
    CS_TC_BINARY = 8,
    CS_TC_LIST = 9,
    CS_TC_SET = 10,
    CS_TC_MAP = 11,
    CS_TC_STRUCT = 12,
};

#define CS_THRIFT_MAX_DEPTH 16

/* A writer of one top-level struct: fields are written in increasing id order within each
 * struct (the compact protocol encodes the id as a delta from the previous one). */
struct cs_thrift {
    struct cs_pq_buf *out;
    int16_t last[CS_THRIFT_MAX_DEPTH]; /* previous field id per open struct */
    int depth;                         /* open structs, the top-level one included */
    bool overflow;                     /* nested deeper than CS_THRIFT_MAX_DEPTH */
};

/* cs_thrift_begin() - start the top-level struct, written to out. */
void cs_thrift_begin(struct cs_thrift *t, struct cs_pq_buf *out);
void cs_thrift_bool(struct cs_thrift *t, int16_t id, bool v);
void cs_thrift_i8(struct cs_thrift *t, int16_t id, int8_t v);
void cs_thrift_i16(struct cs_thrift *t, int16_t id, int16_t v);
void cs_thrift_i32(struct cs_thrift *t, int16_t id, int32_t v);
void cs_thrift_i64(struct cs_thrift *t, int16_t id, int64_t v);
void cs_thrift_binary(struct cs_thrift *t, int16_t id, const void *p, size_t n);
void cs_thrift_string(struct cs_thrift *t, int16_t id, const char *s);
/* cs_thrift_struct() - a struct field; its fields follow, then cs_thrift_end(). */
void cs_thrift_struct(struct cs_thrift *t, int16_t id);
/* cs_thrift_end() - close the innermost struct (the top-level one too): writes STOP. */
void cs_thrift_end(struct cs_thrift *t);
/* cs_thrift_list() - a list field of n elements of type elem; the elements follow. */
void cs_thrift_list(struct cs_thrift *t, int16_t id, int elem, size_t n);
void cs_thrift_elem_i32(struct cs_thrift *t, int32_t v);
void cs_thrift_elem_i64(struct cs_thrift *t, int64_t v);
void cs_thrift_elem_string(struct cs_thrift *t, const char *s);
/* cs_thrift_elem_struct() - a struct element; its fields follow, then cs_thrift_end(). */
void cs_thrift_elem_struct(struct cs_thrift *t);

/* ---- page encodings ---- */

/* cs_pq_bit_width() - bits needed for v (0 for 0). */
static inline unsigned cs_pq_bit_width(uint64_t v)
{
    return v == 0 ? 0u : (unsigned)(64 - __builtin_clzll(v));
}

/* cs_pq_rle() - values v[0..n) (each < 2^width, width <= 32) in the RLE / bit-packing hybrid:
 * runs of 8 or more equal values as RLE runs, the rest bit-packed in groups of 8 (the last
 * group padded with zeros). No length prefix. */
void cs_pq_rle(struct cs_pq_buf *b, const uint32_t *v, size_t n, unsigned width);

/* cs_pq_delta() - v[0..n) in DELTA_BINARY_PACKED: blocks of 128 values, 4 miniblocks of 32.
 * bits is 32 (INT32: differences wrap in 32 bits) or 64. */
void cs_pq_delta(struct cs_pq_buf *b, const int64_t *v, size_t n, unsigned bits);

/* cs_pq_delta_size() - the bytes cs_pq_delta() would write, give or take 10 a block (an
 * upper bound), without writing them: for choosing an encoding. */
size_t cs_pq_delta_size(const int64_t *v, size_t n, unsigned bits);

/* cs_pq_pack() - n values of `width` bits (LSB first), n a multiple of 8, appended. */
void cs_pq_pack(struct cs_pq_buf *b, const uint64_t *v, size_t n, unsigned width);

#endif
