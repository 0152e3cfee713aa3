/*
 * Internal to storage/: the value codecs of a column segment (storage/segment.h) and the
 * bit-packing kernels they share. segment.c owns the header, the validity bitmap, LZ4 and the
 * checksum; the codec_*.c files turn the values of one column into the codec section of the
 * raw payload and back. Byte layouts: docs/storage-segments.md.
 *
 * Codec ids are stored on disk: numbered explicitly, never renumbered.
 */
#ifndef CS_CODEC_H
#define CS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

enum cs_codec {
    CS_CODEC_AUTO = 0,        /* encoder: choose by measuring; never stored */
    CS_CODEC_EMPTY = 1,       /* any kind: no value section (0 rows, or every row NULL) */
    CS_CODEC_I64_CONST = 2,   /* i64 value */
    CS_CODEC_I64_FOR = 3,     /* i64 reference, u8 width, rows packed (v - reference) */
    CS_CODEC_I64_DELTA = 4,   /* i64 first, i64 min delta, u8 width, rows-1 packed deltas */
    CS_CODEC_BOOL_CONST = 5,  /* u8 value */
    CS_CODEC_BOOL_BITS = 6,   /* ceil(rows/8) bytes, bit i = value of row i */
    CS_CODEC_STR_PLAIN = 7,   /* u8 width, rows packed lengths, the bytes */
    CS_CODEC_STR_DICT = 8,    /* u32 entries, u8 width, packed lengths, bytes, u8 width, codes */
    CS_CODEC_FIX16_PLAIN = 9, /* rows x 16 bytes */
    CS_CODEC_I64_PFOR = 10,   /* i64 reference, blocks of 128 (v - reference) with exceptions */
    CS_CODEC_I64_DELTA_PFOR = 11, /* i64 first, i64 min delta, blocks of rows-1 deltas */
};
#define CS_CODEC_MAX 11

enum cs_compression {
    CS_COMP_NONE = 0,
    CS_COMP_LZ4 = 1,
};

/* Encoder options for tests and benchmarks; cs_seg_encode() uses the defaults (all zero). */
struct cs_seg_encode_opts {
    int codec;       /* enum cs_codec; CS_CODEC_AUTO chooses. A codec that cannot represent
                        the column (CONST of two values, ...) makes encoding fail: CS_EINVAL */
    int compression; /* -1 never LZ4, 0 LZ4 when it saves >= 1/8, 1 always LZ4 */
};

/* cs_seg_encode_opt() - cs_seg_encode() with a forced codec and/or compression. */
int cs_seg_encode_opt(const struct cs_col *c,
                      int type,
                      const struct cs_seg_encode_opts *opts,
                      uint8_t **out,
                      size_t *out_len,
                      struct cs_seg_stats *stats,
                      struct cs_error *err);

/* cs_seg_codec() - the codec id stored in a segment's header (0 when len is too short). */
int cs_seg_codec(const uint8_t *buf, size_t len);
/* cs_seg_compression() - the compression id stored in a segment's header (-1 if too short). */
int cs_seg_compression(const uint8_t *buf, size_t len);

/* Little-endian loads and stores of possibly unaligned fields. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#    define CS_HOST_LITTLE_ENDIAN 1
#else
#    define CS_HOST_LITTLE_ENDIAN 0
#endif

static inline uint64_t cs_load_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    if (CS_HOST_LITTLE_ENDIAN) {
        memcpy(&v, p, 8);
        return v;
    }
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint32_t cs_load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void cs_store_u64le(uint8_t *p, uint64_t v)
{
    if (CS_HOST_LITTLE_ENDIAN) {
        memcpy(p, &v, 8);
        return;
    }
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cs_store_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- bit packing: value i occupies bits [i*w, (i+1)*w) of a little-endian bit stream ---- */

/* cs_bitpack_bytes() - bytes of n values of w bits (w <= 64): ceil(n * w / 8). */
static inline size_t cs_bitpack_bytes(size_t n, unsigned w)
{
    return (size_t)(((uint64_t)n * w + 7) / 8);
}

/* cs_bitpack_width() - bits needed for v: 0 for 0, 64 for values >= 2^63. */
static inline unsigned cs_bitpack_width(uint64_t v)
{
    return v == 0 ? 0u : (unsigned)(64 - __builtin_clzll(v));
}

/* cs_bitpack_pack() - pack (in[i] - base) mod 2^64, i < n, as w-bit values into out, which
 * must hold cs_bitpack_bytes(n, w) bytes; exactly that many are written (unused high bits of
 * the last byte are 0). Values must fit in w bits (high bits are dropped). */
void cs_bitpack_pack(const uint64_t *in, size_t n, unsigned w, uint64_t base, uint8_t *out);

/* cs_bitpack_unpack() - out[i] = base + value i (mod 2^64), i < n, reading exactly
 * cs_bitpack_bytes(n, w) bytes of in and nothing beyond. w <= 64. */
void cs_bitpack_unpack(const uint8_t *in, size_t n, unsigned w, uint64_t base, uint64_t *out);

/* cs_bitpack_unpack_u8() - out[i] = add + value i (mod 256), i < n, for w <= 8: small codes
 * (e.g. a day's agent keys relative to the smallest) straight to bytes. */
void cs_bitpack_unpack_u8(const uint8_t *in, size_t n, unsigned w, uint8_t add, uint8_t *out);

/* cs_bitpack_unpack128() - cs_bitpack_unpack() of exactly 128 values (16 * w bytes). Uses
 * AVX2 where the CPU has it (widths 1..30). */
void cs_bitpack_unpack128(const uint8_t *in, unsigned w, uint64_t base, uint64_t *out);
/* cs_bitpack_simd() - for tests: on = false makes cs_bitpack_unpack128() use its scalar code
 * only, true lets it use SIMD again; returns whether SIMD was in use before the call. */
bool cs_bitpack_simd(bool on);

/* cs_bits_to_bytes() - out[i] = bit i of bits (LSB first), i < n; returns the number of set
 * bits. Reads ceil(n/8) bytes. Eight rows at a time: the bits of a byte are spread into the
 * low bit of eight bytes with carry-free shifts and masks. */
static inline size_t cs_bits_to_bytes(const uint8_t *bits, size_t n, uint8_t *out)
{
    size_t set = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = bits[i >> 3];
        x = (x | x << 28) & 0x0000000F0000000Full;
        x = (x | x << 14) & 0x0003000300030003ull;
        x = (x | x << 7) & 0x0101010101010101ull;
        set += (size_t)((x * 0x0101010101010101ull) >> 56); /* the 0/1 bytes summed */
        if (CS_HOST_LITTLE_ENDIAN) {
            memcpy(out + i, &x, 8);
        } else {
            for (int k = 0; k < 8; k++)
                out[i + k] = (uint8_t)(x >> (8 * k));
        }
    }
    for (; i < n; i++) {
        out[i] = (uint8_t)((bits[i >> 3] >> (i & 7)) & 1);
        set += out[i];
    }
    return set;
}

/* cs_bytes_to_bits() - bit i of out (LSB first) = bytes[i] != 0 && !(skip && skip[i]), i < n;
 * writes exactly ceil(n/8) bytes, unused high bits 0. skip may be NULL. */
void cs_bytes_to_bits(const uint8_t *bytes, const uint8_t *skip, size_t n, uint8_t *out);

/* cs_running_sum() - o[i] = prev + o[0] + ... + o[i] (mod 2^64), i < n: the values of a
 * DELTA column from its differences. Four at a time, their partial sums first, so that the
 * chain from one value to the next is one addition per four values, not one per value. */
static inline void cs_running_sum(uint64_t *o, size_t n, uint64_t prev)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint64_t a = o[i], b = a + o[i + 1], c = b + o[i + 2], d = c + o[i + 3];
        o[i] = prev + a;
        o[i + 1] = prev + b;
        o[i + 2] = prev + c;
        o[i + 3] = prev += d;
    }
    for (; i < n; i++)
        o[i] = prev += o[i];
}

/* ---- buffers shared by the codecs ---- */

/* A growable output buffer; `failed` is set (and later appends ignored) when memory runs out
 * or the size passes CS_MAX_SEGMENT_BYTES. */
struct cs_wbuf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
    bool too_large; /* failed because of CS_MAX_SEGMENT_BYTES, not memory */
};

/* cs_wbuf_reserve() - room for `more` bytes after len; returns a pointer to them or NULL
 * (and sets failed). len is not advanced. */
uint8_t *cs_wbuf_reserve(struct cs_wbuf *w, size_t more);
void cs_wbuf_put(struct cs_wbuf *w, const void *src, size_t n);
void cs_wbuf_u8(struct cs_wbuf *w, uint8_t v);
void cs_wbuf_u32(struct cs_wbuf *w, uint32_t v);
void cs_wbuf_u64(struct cs_wbuf *w, uint64_t v);
/* cs_wbuf_packed() - append cs_bitpack_pack(in, n, w, base). */
void cs_wbuf_packed(struct cs_wbuf *w, const uint64_t *in, size_t n, unsigned width, uint64_t base);

/* A bounded reader over a decoded payload: every take checks the bytes are there. */
struct cs_rbuf {
    const uint8_t *p;
    size_t len, pos;
};

/* cs_rbuf_take() - pointer to the next n bytes and advance, or NULL when fewer remain. */
const uint8_t *cs_rbuf_take(struct cs_rbuf *r, size_t n);
bool cs_rbuf_u8(struct cs_rbuf *r, uint8_t *v);
bool cs_rbuf_u32(struct cs_rbuf *r, uint32_t *v);
bool cs_rbuf_u64(struct cs_rbuf *r, uint64_t *v);

/* ---- codecs: the value section of one kind ---- */

/* What an encoder is given: the column, its NULL byte map (NULL when no row is NULL) and the
 * counts segment.c computed. Every encoder handles rows == null_count (all NULL) by writing
 * CS_CODEC_EMPTY unless a codec is forced. */
struct cs_enc_in {
    const struct cs_col *c;
    const uint8_t *nulls; /* c->nulls when null_count > 0, else NULL */
    size_t rows, null_count;
    int force; /* enum cs_codec or CS_CODEC_AUTO */
};

/* cs_codec_encode_<kind>() - append the value section to w; set *codec and, for I64 and BOOL,
 * stats->min/max (of the non-NULL values). CS_EINVAL when a forced codec cannot represent the
 * column, CS_ENOMEM when w failed. */
int cs_codec_encode_i64(const struct cs_enc_in *in,
                        struct cs_wbuf *w,
                        uint8_t *codec,
                        struct cs_seg_stats *stats,
                        struct cs_error *err);
int cs_codec_encode_bool(const struct cs_enc_in *in,
                         struct cs_wbuf *w,
                         uint8_t *codec,
                         struct cs_seg_stats *stats,
                         struct cs_error *err);
int cs_codec_encode_str(const struct cs_enc_in *in,
                        struct cs_wbuf *w,
                        uint8_t *codec,
                        struct cs_error *err);
int cs_codec_encode_fix16(const struct cs_enc_in *in,
                          struct cs_wbuf *w,
                          uint8_t *codec,
                          struct cs_error *err);

/* cs_codec_decode_<kind>() - decode the value section of `rows` rows from r into out, whose
 * arrays already hold room for rows (out->len is set by the caller). nulls is the NULL byte
 * map (NULL when no row is NULL); NULL rows come out as 0 / "" / 16 zero bytes. Returns
 * CS_ECORRUPT with a message (without the file name) when the section is malformed, or
 * CS_ENOMEM. */
int cs_codec_decode_i64(struct cs_rbuf *r,
                        int codec,
                        size_t rows,
                        const uint8_t *nulls,
                        struct cs_col *out,
                        struct cs_error *err);
int cs_codec_decode_bool(struct cs_rbuf *r,
                         int codec,
                         size_t rows,
                         const uint8_t *nulls,
                         struct cs_col *out,
                         struct cs_error *err);
int cs_codec_decode_str(struct cs_rbuf *r,
                        int codec,
                        size_t rows,
                        const uint8_t *nulls,
                        struct cs_col *out,
                        struct cs_error *err);
int cs_codec_decode_fix16(struct cs_rbuf *r,
                          int codec,
                          size_t rows,
                          const uint8_t *nulls,
                          struct cs_col *out,
                          struct cs_error *err);

/* ---- patched frame of reference in blocks (storage/codec_pfor.c) ---- */

/* Values a PFOR block holds (the last block of a section may hold fewer): exception positions
 * fit in a byte, and a vector of CS_VECTOR_SIZE rows is a whole number of blocks. */
#define CS_PFOR_BLOCK 128u

/* cs_pfor_plan() - choose the width of each block of (v[i] - base) mod 2^64, i < n, into
 * widths (ceil(n / CS_PFOR_BLOCK) entries); returns the bytes cs_pfor_put() will write. */
size_t cs_pfor_plan(const uint64_t *v, size_t n, uint64_t base, uint8_t *widths);
/* cs_pfor_put() - append the blocks of (v[i] - base), i < n, at the widths of the plan. */
void cs_pfor_put(
    struct cs_wbuf *w, const uint64_t *v, size_t n, uint64_t base, const uint8_t *widths);
/* cs_pfor_walk() - check and consume the blocks of n values at r's position; when offsets is
 * not NULL, offsets[k] = r->pos where block k starts. NULL, or the problem (r then
 * unspecified). */
const char *cs_pfor_walk(struct cs_rbuf *r, size_t n, uint64_t *offsets);
/* cs_pfor_decode() - cs_pfor_walk() that also decodes: out[i] = base + value i, i < n. */
const char *cs_pfor_decode(struct cs_rbuf *r, size_t n, uint64_t base, uint64_t *out);
/* cs_pfor_decode_sum() - cs_pfor_decode() of n differences into running sums: out[0] = first,
 * out[i + 1] = out[i] + base + value i (out holds n + 1 values). */
const char *
cs_pfor_decode_sum(struct cs_rbuf *r, size_t n, uint64_t base, uint64_t first, uint64_t *out);
/* cs_pfor_block_decode() - out[i] = base + value i of the block of m values at blk, which
 * cs_pfor_walk() has checked. */
void cs_pfor_block_decode(const uint8_t *blk, size_t m, uint64_t base, uint64_t *out);

/* cs_codec_view_section() - parse (and check) the value section of v->rows rows of kind
 * v->kind and codec v->codec from r into the view's pointers; v->null_bits is already set.
 * DELTA values are decoded into v->words, PLAIN text offsets too. CS_ECORRUPT (message
 * without the file name) or CS_ENOMEM. */
int cs_codec_view_section(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err);

/* cs_popcount64() - set bits of x, without a libgcc call when the target lacks POPCNT. */
static inline unsigned cs_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* cs_popcount_bytes() - set bits of p[0..n). */
size_t cs_popcount_bytes(const uint8_t *p, size_t n);

#endif
