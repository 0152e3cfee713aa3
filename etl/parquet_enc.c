/*
 * Parquet's byte-level encodings (etl/parquet_enc.h): the Thrift compact protocol of the
 * footer and page headers, and the value encodings of data pages.
 */
#include "etl/parquet_enc.h"

#include <stdlib.h>
#include <string.h>

/* Bit packing writes whole little-endian 64-bit windows. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host");

/* Groups of 8 values in one bit-packed run: 63 keeps its header in one byte, as the reference
 * writers do (some readers expect no more). */
#define RLE_MAX_GROUPS 63u

/* ---- bytes ---- */

void cs_pq_buf_free(struct cs_pq_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

uint8_t *cs_pq_buf_room(struct cs_pq_buf *b, size_t n)
{
    if (b->failed) return NULL;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap < 256 ? 256 : b->cap;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

void cs_pq_buf_put(struct cs_pq_buf *b, const void *src, size_t n)
{
    uint8_t *p = cs_pq_buf_room(b, n);
    if (p == NULL) return;
    if (n > 0) memcpy(p, src, n);
    b->len += n;
}

void cs_pq_buf_u8(struct cs_pq_buf *b, uint8_t v)
{
    cs_pq_buf_put(b, &v, 1);
}

void cs_pq_buf_u32le(struct cs_pq_buf *b, uint32_t v)
{
    const uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    cs_pq_buf_put(b, x, 4);
}

void cs_pq_buf_u64le(struct cs_pq_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    cs_pq_buf_put(b, x, 8);
}

void cs_pq_buf_uvarint(struct cs_pq_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    while (v >= 0x80) {
        x[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    x[n++] = (uint8_t)v;
    cs_pq_buf_put(b, x, n);
}

void cs_pq_buf_zigzag(struct cs_pq_buf *b, int64_t v)
{
    cs_pq_buf_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* ---- Thrift compact protocol ---- */

void cs_thrift_begin(struct cs_thrift *t, struct cs_pq_buf *out)
{
    memset(t, 0, sizeof(*t));
    t->out = out;
    t->depth = 1;
}

/* A field header: the id as a 4-bit delta from the previous field when it fits, else the
 * type alone followed by the id as a zigzag varint. */
static void field(struct cs_thrift *t, int16_t id, int type)
{
    int16_t *last = &t->last[t->depth - 1];
    const int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        cs_pq_buf_u8(t->out, (uint8_t)(delta << 4 | type));
    } else {
        cs_pq_buf_u8(t->out, (uint8_t)type);
        cs_pq_buf_zigzag(t->out, id);
    }
    *last = id;
}

void cs_thrift_bool(struct cs_thrift *t, int16_t id, bool v)
{
    field(t, id, v ? CS_TC_BOOL_TRUE : CS_TC_BOOL_FALSE);
}

void cs_thrift_i8(struct cs_thrift *t, int16_t id, int8_t v)
{
    field(t, id, CS_TC_I8);
    cs_pq_buf_u8(t->out, (uint8_t)v);
}

void cs_thrift_i16(struct cs_thrift *t, int16_t id, int16_t v)
{
    field(t, id, CS_TC_I16);
    cs_pq_buf_zigzag(t->out, v);
}

void cs_thrift_i32(struct cs_thrift *t, int16_t id, int32_t v)
{
    field(t, id, CS_TC_I32);
    cs_pq_buf_zigzag(t->out, v);
}

void cs_thrift_i64(struct cs_thrift *t, int16_t id, int64_t v)
{
    field(t, id, CS_TC_I64);
    cs_pq_buf_zigzag(t->out, v);
}

void cs_thrift_binary(struct cs_thrift *t, int16_t id, const void *p, size_t n)
{
    field(t, id, CS_TC_BINARY);
    cs_pq_buf_uvarint(t->out, n);
    cs_pq_buf_put(t->out, p, n);
}

void cs_thrift_string(struct cs_thrift *t, int16_t id, const char *s)
{
    cs_thrift_binary(t, id, s, strlen(s));
}

static void push(struct cs_thrift *t)
{
    if (t->depth >= CS_THRIFT_MAX_DEPTH) {
        t->overflow = true;
        t->out->failed = true;
        return;
    }
    t->last[t->depth++] = 0;
}

void cs_thrift_struct(struct cs_thrift *t, int16_t id)
{
    field(t, id, CS_TC_STRUCT);
    push(t);
}

void cs_thrift_end(struct cs_thrift *t)
{
    cs_pq_buf_u8(t->out, 0); /* STOP */
    if (t->depth > 0) t->depth--;
}

void cs_thrift_list(struct cs_thrift *t, int16_t id, int elem, size_t n)
{
    field(t, id, CS_TC_LIST);
    if (n < 15) {
        cs_pq_buf_u8(t->out, (uint8_t)(n << 4 | (size_t)elem));
    } else {
        cs_pq_buf_u8(t->out, (uint8_t)(0xF0 | elem));
        cs_pq_buf_uvarint(t->out, n);
    }
}

void cs_thrift_elem_i32(struct cs_thrift *t, int32_t v)
{
    cs_pq_buf_zigzag(t->out, v);
}

void cs_thrift_elem_i64(struct cs_thrift *t, int64_t v)
{
    cs_pq_buf_zigzag(t->out, v);
}

void cs_thrift_elem_string(struct cs_thrift *t, const char *s)
{
    const size_t n = strlen(s);
    cs_pq_buf_uvarint(t->out, n);
    cs_pq_buf_put(t->out, s, n);
}

void cs_thrift_elem_struct(struct cs_thrift *t)
{
    push(t);
}

/* ---- bit packing ---- */

void cs_pq_pack(struct cs_pq_buf *b, const uint64_t *v, size_t n, unsigned width)
{
    const size_t bytes = n * width / 8; /* n is a multiple of 8 */
    uint8_t *o = cs_pq_buf_room(b, bytes + 8);
    if (o == NULL || width == 0) return;
    const uint64_t mask = width == 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1;
    /* bits gather in a 64-bit accumulator, stored a word at a time */
    uint64_t acc = 0;
    unsigned nb = 0;
    uint8_t *p = o;
    for (size_t i = 0; i < n; i++) {
        const uint64_t x = v[i] & mask;
        acc |= x << nb;
        nb += width;
        if (nb >= 64) {
            memcpy(p, &acc, 8);
            p += 8;
            nb -= 64;
            acc = nb > 0 ? x >> (width - nb) : 0;
        }
    }
    if (nb > 0) memcpy(p, &acc, 8); /* the room reserved has 8 spare bytes */
    b->len += bytes;
}

/* ---- RLE / bit-packing hybrid ---- */

static void rle_run(struct cs_pq_buf *b, uint32_t value, size_t count, unsigned width)
{
    cs_pq_buf_uvarint(b, (uint64_t)count << 1);
    const unsigned bytes = (width + 7) / 8;
    for (unsigned i = 0; i < bytes; i++)
        cs_pq_buf_u8(b, (uint8_t)(value >> (8 * i)));
}

/* Values v[from, from + groups * 8) bit-packed (past n: zero padding). */
static void packed_run(
    struct cs_pq_buf *b, const uint32_t *v, size_t from, size_t groups, size_t n, unsigned width)
{
    cs_pq_buf_uvarint(b, (uint64_t)groups << 1 | 1);
    uint64_t tmp[512];
    size_t done = 0;
    while (done < groups * 8) {
        const size_t m = groups * 8 - done < 512 ? groups * 8 - done : 512;
        for (size_t i = 0; i < m; i++) {
            const size_t at = from + done + i;
            tmp[i] = at < n ? v[at] : 0;
        }
        cs_pq_pack(b, tmp, m, width);
        done += m;
    }
}

static size_t run_length(const uint32_t *v, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && v[j] == v[i])
        j++;
    return j - i;
}

void cs_pq_rle(struct cs_pq_buf *b, const uint32_t *v, size_t n, unsigned width)
{
    size_t i = 0;
    while (i < n) {
        const size_t run = run_length(v, i, n);
        if (run >= 8) {
            rle_run(b, v[i], run, width);
            i += run;
            continue;
        }
        /* literal groups of 8 until a run of 8 starts at a group boundary */
        const size_t start = i;
        size_t groups = 0;
        while (i < n && groups < RLE_MAX_GROUPS && (groups == 0 || run_length(v, i, n) < 8)) {
            i += 8;
            groups++;
        }
        packed_run(b, v, start, groups, n, width);
    }
}

/* ---- DELTA_BINARY_PACKED ---- */

#define DELTA_BLOCK       128u
#define DELTA_MINI        4u
#define DELTA_MINI_VALUES (DELTA_BLOCK / DELTA_MINI)

/* delta_rel() - the m differences of a block less their minimum (*min), padded with zeros to
 * a whole block, and the bit width of each miniblock. */
static void
delta_rel(const int64_t *d, size_t m, unsigned bits, uint64_t *rel, int64_t *min, unsigned *widths)
{
    int64_t lo = d[0];
    for (size_t i = 1; i < m; i++)
        lo = d[i] < lo ? d[i] : lo;
    const uint64_t keep = bits == 32 ? 0xFFFFFFFFu : ~UINT64_C(0);
    for (size_t i = 0; i < m; i++)
        rel[i] = ((uint64_t)d[i] - (uint64_t)lo) & keep;
    for (size_t i = m; i < DELTA_BLOCK; i++)
        rel[i] = 0;
    for (unsigned k = 0; k < DELTA_MINI; k++) {
        uint64_t or = 0;
        for (size_t i = k * DELTA_MINI_VALUES; i < (k + 1) * DELTA_MINI_VALUES; i++)
            or |= rel[i];
        widths[k] = k * DELTA_MINI_VALUES < m ? cs_pq_bit_width(or) : 0;
    }
    *min = lo;
}

/* Differences of v[i .. i + m) from their predecessors, as the reader computes them. */
static size_t deltas(const int64_t *v, size_t i, size_t n, unsigned bits, int64_t *d)
{
    size_t m = 0;
    for (; m < DELTA_BLOCK && i + m < n; m++) {
        const uint64_t x = (uint64_t)v[i + m] - (uint64_t)v[i + m - 1];
        /* INT32: the difference as the 32-bit reader computes it */
        d[m] = bits == 32 ? (int64_t)(int32_t)(uint32_t)x : (int64_t)x;
    }
    return m;
}

static void delta_header(struct cs_pq_buf *b, const int64_t *v, size_t n)
{
    cs_pq_buf_uvarint(b, DELTA_BLOCK);
    cs_pq_buf_uvarint(b, DELTA_MINI);
    cs_pq_buf_uvarint(b, n);
    cs_pq_buf_zigzag(b, n > 0 ? v[0] : 0);
}

void cs_pq_delta(struct cs_pq_buf *b, const int64_t *v, size_t n, unsigned bits)
{
    delta_header(b, v, n);
    int64_t d[DELTA_BLOCK], min;
    uint64_t rel[DELTA_BLOCK];
    unsigned widths[DELTA_MINI];
    for (size_t i = 1; i < n;) {
        const size_t m = deltas(v, i, n, bits, d);
        i += m;
        delta_rel(d, m, bits, rel, &min, widths);
        cs_pq_buf_zigzag(b, min);
        for (unsigned k = 0; k < DELTA_MINI; k++)
            cs_pq_buf_u8(b, (uint8_t)widths[k]);
        for (unsigned k = 0; k < DELTA_MINI && k * DELTA_MINI_VALUES < m; k++)
            cs_pq_pack(b, rel + k * DELTA_MINI_VALUES, DELTA_MINI_VALUES, widths[k]);
    }
}

size_t cs_pq_delta_size(const int64_t *v, size_t n, unsigned bits)
{
    struct cs_pq_buf hdr = {0};
    uint8_t room[64];
    hdr.p = room;
    hdr.cap = sizeof(room);
    delta_header(&hdr, v, n);
    size_t size = hdr.len;
    int64_t d[DELTA_BLOCK], min;
    uint64_t rel[DELTA_BLOCK];
    unsigned widths[DELTA_MINI];
    for (size_t i = 1; i < n;) {
        const size_t m = deltas(v, i, n, bits, d);
        i += m;
        delta_rel(d, m, bits, rel, &min, widths);
        size += 10 + DELTA_MINI; /* the minimum (at most 10 bytes), the widths */
        for (unsigned k = 0; k < DELTA_MINI && k * DELTA_MINI_VALUES < m; k++)
            size += DELTA_MINI_VALUES * widths[k] / 8;
    }
    return size;
}
