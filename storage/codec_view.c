/*
 * Reading a segment's values in place (struct cs_seg_view, storage/store.h): the value
 * section parsed into pointers once, then ranges of rows decoded a vector at a time into the
 * caller's buffers, and aggregates computed straight from the encoded values (sums from the
 * packed integers, popcount over packed booleans, dictionary codes compared without
 * materializing strings). Layouts: docs/storage-segments.md.
 */
#include "storage/codec.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"

/* Values decoded per step by the aggregate kernels (a multiple of 64: whole unpack blocks). */
#define VIEW_CHUNK 1024u

size_t cs_popcount_bytes(const uint8_t *p, size_t n)
{
    size_t set = 0, i = 0;
    for (; i + 8 <= n; i += 8)
        set += cs_popcount64(cs_load_u64le(p + i));
    for (; i < n; i++)
        set += cs_popcount64(p[i]);
    return set;
}

static bool grow_words(struct cs_seg_view *v, size_t n)
{
    if (n <= v->words_cap) return true;
    size_t cap = v->words_cap < 1024 ? 1024 : v->words_cap;
    while (cap < n)
        cap *= 2;
    uint64_t *w = realloc(v->words, cap * sizeof(*w));
    if (w == NULL) return false;
    v->words = w;
    v->words_cap = cap;
    return true;
}

static int view_corrupt(struct cs_error *err, const char *what)
{
    return cs_error_set(err, CS_ECORRUPT, "%s", what);
}

static bool row_is_null(const struct cs_seg_view *v, size_t i)
{
    if (v->null_count == 0) return false;
    if (v->null_count == v->rows) return true;
    return (v->null_bits[i >> 3] >> (i & 7)) & 1;
}

/* PFOR: the blocks checked and indexed (v->words[k]: block k's offset from v->packed), to be
 * decoded a vector at a time. */
static int view_pfor(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    uint64_t a = 0;
    if (!cs_rbuf_u64(r, &a)) return view_corrupt(err, "i64 values end early");
    const size_t blocks = (v->rows + CS_PFOR_BLOCK - 1) / CS_PFOR_BLOCK;
    if (!grow_words(v, blocks)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    const size_t start = r->pos;
    const char *problem = cs_pfor_walk(r, v->rows, v->words);
    if (problem != NULL) return view_corrupt(err, problem);
    for (size_t k = 0; k < blocks; k++)
        v->words[k] -= start;
    v->packed = r->p + start;
    v->base = (int64_t)a;
    return CS_OK;
}

/* DELTA_PFOR: as DELTA, every row decoded once. */
static int view_delta_pfor(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    uint64_t a = 0, b = 0;
    const size_t rows = v->rows;
    if (rows == 0 || !cs_rbuf_u64(r, &a) || !cs_rbuf_u64(r, &b))
        return view_corrupt(err, "i64 values end early");
    if (!grow_words(v, rows)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t *d = v->words;
    const char *problem = cs_pfor_decode_sum(r, rows - 1, b, a, d);
    if (problem != NULL) return view_corrupt(err, problem);
    v->decoded = (const int64_t *)d;
    return CS_OK;
}

static int view_i64(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    uint64_t a = 0, b = 0;
    uint8_t w = 0;
    const size_t rows = v->rows;
    if (v->codec == CS_CODEC_I64_CONST) {
        if (!cs_rbuf_u64(r, &a)) return view_corrupt(err, "i64 values end early");
        v->base = (int64_t)a;
        return CS_OK;
    }
    if (v->codec == CS_CODEC_I64_FOR) {
        if (!cs_rbuf_u64(r, &a) || !cs_rbuf_u8(r, &w))
            return view_corrupt(err, "i64 values end early");
        if (w > 64) return view_corrupt(err, "i64 bit width over 64");
        v->packed = cs_rbuf_take(r, cs_bitpack_bytes(rows, w));
        if (v->packed == NULL) return view_corrupt(err, "i64 values end early");
        v->base = (int64_t)a;
        v->width = w;
        return CS_OK;
    }
    if (v->codec == CS_CODEC_I64_PFOR) return view_pfor(r, v, err);
    if (v->codec == CS_CODEC_I64_DELTA_PFOR) return view_delta_pfor(r, v, err);
    /* DELTA: every row depends on the previous one; decode them all once. */
    if (rows == 0 || !cs_rbuf_u64(r, &a) || !cs_rbuf_u64(r, &b) || !cs_rbuf_u8(r, &w))
        return view_corrupt(err, "i64 values end early");
    if (w > 64) return view_corrupt(err, "i64 bit width over 64");
    const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(rows - 1, w));
    if (p == NULL) return view_corrupt(err, "i64 values end early");
    if (!grow_words(v, rows)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t *d = v->words;
    cs_bitpack_unpack(p, rows - 1, w, b, d + 1);
    d[0] = a;
    cs_running_sum(d + 1, rows - 1, a);
    v->decoded = (const int64_t *)d;
    return CS_OK;
}

static int view_bool(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    const size_t rows = v->rows;
    if (v->codec == CS_CODEC_BOOL_CONST) {
        uint8_t b = 0;
        if (!cs_rbuf_u8(r, &b)) return view_corrupt(err, "bool values end early");
        if (b > 1) return view_corrupt(err, "bool constant is not 0 or 1");
        v->base = b;
        return CS_OK;
    }
    v->packed = cs_rbuf_take(r, (rows + 7) / 8);
    if (v->packed == NULL) return view_corrupt(err, "bool values end early");
    if ((rows & 7) != 0 && (v->packed[rows >> 3] >> (rows & 7)) != 0)
        return view_corrupt(err, "bool bitmap has bits set past the last row");
    /* NULL rows are 0 (docs/storage-segments.md §3): kernels count true rows from these bits */
    for (size_t i = 0; v->null_bits != NULL && i < (rows + 7) / 8; i++) {
        if ((v->packed[i] & v->null_bits[i]) != 0)
            return view_corrupt(err, "bool bitmap has a bit set on a NULL row");
    }
    return CS_OK;
}

/* PLAIN text: row offsets into v->words (rows + 1), the bytes as the "dictionary". */
static int view_plain(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    const size_t rows = v->rows;
    uint8_t wl = 0;
    if (!cs_rbuf_u8(r, &wl)) return view_corrupt(err, "text values: end early");
    if (wl > 32) return view_corrupt(err, "text values: length width over 32 bits");
    const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(rows, wl));
    if (p == NULL) return view_corrupt(err, "text values: end early");
    if (!grow_words(v, rows + 1)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t *off = v->words;
    cs_bitpack_unpack(p, rows, wl, 0, off + 1);
    off[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        if (off[i + 1] != 0 && row_is_null(v, i))
            return view_corrupt(err, "text values: a NULL row has a length");
        off[i + 1] += off[i];
    }
    if (off[rows] > CS_MAX_SEGMENT_BYTES)
        return view_corrupt(err, "text values: strings too large");
    v->dict_bytes = cs_rbuf_take(r, (size_t)off[rows]);
    if (v->dict_bytes == NULL) return view_corrupt(err, "text values: string bytes end early");
    v->dict_off = off;
    v->dict_count = rows;
    return CS_OK;
}

static int view_dict(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    const size_t rows = v->rows;
    uint32_t count = 0;
    uint8_t wl = 0, wc = 0;
    if (!cs_rbuf_u32(r, &count) || !cs_rbuf_u8(r, &wl))
        return view_corrupt(err, "text values: end early");
    if (count == 0 || count > rows)
        return view_corrupt(err, "text values: dictionary size out of range");
    if (wl > 32) return view_corrupt(err, "text values: dictionary length width over 32 bits");
    const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(count, wl));
    if (p == NULL) return view_corrupt(err, "text values: dictionary ends early");
    if (!grow_words(v, (size_t)count + 1)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t *doff = v->words;
    cs_bitpack_unpack(p, count, wl, 0, doff + 1);
    doff[0] = 0;
    for (size_t e = 0; e < count; e++)
        doff[e + 1] += doff[e];
    if (doff[count] > CS_MAX_SEGMENT_BYTES ||
        (v->dict_bytes = cs_rbuf_take(r, (size_t)doff[count])) == NULL)
        return view_corrupt(err, "text values: dictionary bytes end early");
    if (!cs_rbuf_u8(r, &wc) || wc > 32 ||
        (v->packed = cs_rbuf_take(r, cs_bitpack_bytes(rows, wc))) == NULL)
        return view_corrupt(err,
                            "text values: dictionary codes end early or are wider than 32 bits");
    v->dict_off = doff;
    v->dict_count = count;
    v->width = wc;
    return CS_OK;
}

int cs_codec_view_section(struct cs_rbuf *r, struct cs_seg_view *v, struct cs_error *err)
{
    switch (v->codec) {
    case CS_CODEC_EMPTY:
        return CS_OK;
    case CS_CODEC_I64_CONST:
    case CS_CODEC_I64_FOR:
    case CS_CODEC_I64_DELTA:
    case CS_CODEC_I64_PFOR:
    case CS_CODEC_I64_DELTA_PFOR:
        return view_i64(r, v, err);
    case CS_CODEC_BOOL_CONST:
    case CS_CODEC_BOOL_BITS:
        return view_bool(r, v, err);
    case CS_CODEC_STR_PLAIN:
        return view_plain(r, v, err);
    case CS_CODEC_STR_DICT:
        return view_dict(r, v, err);
    case CS_CODEC_FIX16_PLAIN:
        v->packed = cs_rbuf_take(r, 16 * v->rows);
        return v->packed != NULL ? CS_OK : view_corrupt(err, "16-byte values end early");
    default:
        return cs_error_set(err, CS_ECORRUPT, "unknown codec %d", v->codec);
    }
}

/* ------------------------------------------------------------------------ ranges of rows */

bool cs_seg_view_nulls(const struct cs_seg_view *v, size_t from, size_t n, uint8_t *out)
{
    if (v->null_count == 0) return false;
    if (v->null_count == v->rows) {
        memset(out, 1, n);
    } else {
        (void)cs_bits_to_bytes(v->null_bits + from / 8, n, out);
    }
    return true;
}

/* PFOR rows [from, from + n) plus base: whole blocks straight into out, a block cut by the
 * range through a copy. */
static void
view_pfor_rows(const struct cs_seg_view *v, size_t from, size_t n, uint64_t base, uint64_t *out)
{
    uint64_t tmp[CS_PFOR_BLOCK];
    size_t k = from / CS_PFOR_BLOCK, skip = from % CS_PFOR_BLOCK;
    while (n > 0) {
        const size_t first = k * CS_PFOR_BLOCK;
        const size_t m = v->rows - first < CS_PFOR_BLOCK ? v->rows - first : CS_PFOR_BLOCK;
        const uint8_t *blk = v->packed + v->words[k];
        if (skip == 0 && n >= m) {
            cs_pfor_block_decode(blk, m, base, out);
            out += m;
            n -= m;
        } else {
            cs_pfor_block_decode(blk, m, base, tmp);
            const size_t take = m - skip < n ? m - skip : n;
            memcpy(out, tmp + skip, take * sizeof(*out));
            out += take;
            n -= take;
            skip = 0;
        }
        k++;
    }
}

void cs_seg_view_i64(const struct cs_seg_view *v, size_t from, size_t n, int64_t *out)
{
    switch (v->codec) {
    case CS_CODEC_I64_CONST:
        for (size_t i = 0; i < n; i++)
            out[i] = v->base;
        break;
    case CS_CODEC_I64_FOR:
        cs_bitpack_unpack(v->packed + from / 8 * v->width, n, v->width, (uint64_t)v->base,
                          (uint64_t *)out);
        break;
    case CS_CODEC_I64_DELTA:
    case CS_CODEC_I64_DELTA_PFOR:
        memcpy(out, v->decoded + from, n * sizeof(*out));
        break;
    case CS_CODEC_I64_PFOR:
        view_pfor_rows(v, from, n, (uint64_t)v->base, (uint64_t *)out);
        break;
    default: /* EMPTY */
        memset(out, 0, n * sizeof(*out));
        break;
    }
}

void cs_seg_view_bool(const struct cs_seg_view *v, size_t from, size_t n, uint8_t *out)
{
    if (v->codec == CS_CODEC_BOOL_BITS) {
        (void)cs_bits_to_bytes(v->packed + from / 8, n, out);
    } else {
        memset(out, v->codec == CS_CODEC_BOOL_CONST ? (int)v->base : 0, n);
    }
}

/* ------------------------------------------------------------------------------ aggregates */

/* The offsets from the reference of the valid rows of a PFOR view, summed: a block's sum fits
 * in 64 bits (128 offsets below 2^57) unless the block holds wider values. */
__extension__ typedef __int128 view_i128;

static view_i128 sum_pfor(const struct cs_seg_view *v)
{
    uint64_t tmp[CS_PFOR_BLOCK];
    uint8_t nul[CS_PFOR_BLOCK];
    view_i128 acc = 0;
    for (size_t from = 0; from < v->rows; from += CS_PFOR_BLOCK) {
        const size_t n = v->rows - from < CS_PFOR_BLOCK ? v->rows - from : CS_PFOR_BLOCK;
        view_pfor_rows(v, from, n, 0, tmp);
        if (cs_seg_view_nulls(v, from, n, nul)) {
            for (size_t i = 0; i < n; i++)
                tmp[i] &= (uint64_t)nul[i] - 1;
        }
        uint64_t s = 0, wide = 0;
        for (size_t i = 0; i < n; i++) {
            s += tmp[i];
            wide |= tmp[i];
        }
        if (wide >> 57 == 0) {
            acc += (view_i128)s;
        } else {
            for (size_t i = 0; i < n; i++)
                acc += (view_i128)tmp[i];
        }
    }
    return acc;
}

bool cs_seg_view_sum_i64(const struct cs_seg_view *v, int64_t *sum)
{
    __extension__ typedef __int128 i128;
    const size_t valid = v->rows - v->null_count;
    i128 acc = 0;
    if (v->codec == CS_CODEC_I64_CONST) {
        acc = (i128)v->base * (i128)valid;
    } else if (v->codec == CS_CODEC_I64_FOR) {
        /* The packed offsets of the valid rows summed (a chunk's sum fits in 64 bits when
         * width <= 53), plus the reference once a valid row. */
        uint64_t tmp[VIEW_CHUNK];
        uint8_t nul[VIEW_CHUNK];
        const unsigned w = v->width;
        for (size_t from = 0; from < v->rows; from += VIEW_CHUNK) {
            const size_t n = v->rows - from < VIEW_CHUNK ? v->rows - from : VIEW_CHUNK;
            cs_bitpack_unpack(v->packed + from / 8 * w, n, w, 0, tmp);
            if (cs_seg_view_nulls(v, from, n, nul)) {
                for (size_t i = 0; i < n; i++)
                    tmp[i] &= (uint64_t)nul[i] - 1;
            }
            if (w <= 53) {
                uint64_t s = 0;
                for (size_t i = 0; i < n; i++)
                    s += tmp[i];
                acc += (i128)s;
            } else {
                for (size_t i = 0; i < n; i++)
                    acc += (i128)tmp[i];
            }
        }
        acc += (i128)v->base * (i128)valid;
    } else if (v->codec == CS_CODEC_I64_PFOR) {
        acc = sum_pfor(v) + (i128)v->base * (i128)valid;
    } else if (v->codec == CS_CODEC_I64_DELTA || v->codec == CS_CODEC_I64_DELTA_PFOR) {
        for (size_t i = 0; i < v->rows; i++)
            acc += (i128)v->decoded[i];
        for (size_t b = 0; v->null_count > 0 && b < (v->rows + 7) / 8; b++) {
            for (unsigned m = v->null_bits[b]; m != 0; m &= m - 1)
                acc -= (i128)v->decoded[b * 8 + (size_t)__builtin_ctz(m)];
        }
    }
    *sum = (int64_t)acc;
    return acc >= INT64_MIN && acc <= INT64_MAX;
}

size_t cs_seg_view_count_true(const struct cs_seg_view *v)
{
    if (v->codec == CS_CODEC_BOOL_CONST) return v->base != 0 ? v->rows - v->null_count : 0;
    if (v->codec != CS_CODEC_BOOL_BITS) return 0;
    const size_t bytes = (v->rows + 7) / 8;
    if (v->null_count == 0) return cs_popcount_bytes(v->packed, bytes);
    /* NULL rows hold 0 bits as written, but count only what the bitmap says is valid */
    size_t set = 0, i = 0;
    for (; i + 8 <= bytes; i += 8)
        set += cs_popcount64(cs_load_u64le(v->packed + i) & ~cs_load_u64le(v->null_bits + i));
    for (; i < bytes; i++)
        set += cs_popcount64((uint64_t)(v->packed[i] & (uint8_t)~v->null_bits[i]));
    return set;
}

/* Codes equal to `code` among the first `rows` values packed at width w (1, 2, 4 or 8): a
 * word of 64 / w codes at a time, each lane XORed with the code and its bits ORed into the
 * lane's low bit; the lanes left zero are the matches. */
static inline __attribute__((always_inline)) size_t
swar_count_eq_w(const uint8_t *p, size_t rows, unsigned w, uint64_t code)
{
    uint64_t pat = 0, low = 0;
    for (unsigned b = 0; b < 64; b += w) {
        pat |= code << b;
        low |= (uint64_t)1 << b;
    }
    const size_t words = (size_t)((uint64_t)rows * w / 64);
    size_t n = 0;
    for (size_t i = 0; i < words; i++) {
        uint64_t t = cs_load_u64le(p + 8 * i) ^ pat;
        if (w >= 2) t |= t >> 1;
        if (w >= 4) t |= t >> 2;
        if (w >= 8) t |= t >> 4;
        n += cs_popcount64(~t & low);
    }
    const uint64_t mask = ((uint64_t)1 << w) - 1;
    for (size_t i = words * 64 / w; i < rows; i++) {
        const uint64_t bit = (uint64_t)i * w;
        n += (size_t)(((p[bit >> 3] >> (bit & 7)) & mask) == code);
    }
    return n;
}

static size_t swar_count_eq(const uint8_t *p, size_t rows, unsigned w, uint64_t code)
{
    switch (w) {
    case 1:
        return swar_count_eq_w(p, rows, 1, code);
    case 2:
        return swar_count_eq_w(p, rows, 2, code);
    case 4:
        return swar_count_eq_w(p, rows, 4, code);
    default:
        return swar_count_eq_w(p, rows, 8, code);
    }
}

int cs_seg_view_count_str(
    const struct cs_seg_view *v, const char *s, size_t len, size_t *count, struct cs_error *err)
{
    *count = 0;
    if (v->codec == CS_CODEC_STR_PLAIN) {
        size_t n = 0;
        for (size_t i = 0; i < v->rows; i++) {
            const uint64_t a = v->dict_off[i], b = v->dict_off[i + 1];
            if (b - a == len && (len == 0 || memcmp(v->dict_bytes + a, s, len) == 0) &&
                !row_is_null(v, i))
                n++;
        }
        *count = n;
        return CS_OK;
    }
    if (v->codec != CS_CODEC_STR_DICT) return CS_OK; /* EMPTY: every row NULL */
    size_t want = v->dict_count;
    for (size_t e = 0; e < v->dict_count && want == v->dict_count; e++) {
        const uint64_t a = v->dict_off[e], b = v->dict_off[e + 1];
        if (b - a == len && (len == 0 || memcmp(v->dict_bytes + a, s, len) == 0)) want = e;
    }
    if (want == v->dict_count) return CS_OK; /* not in the dictionary: no row holds it */
    const unsigned w = v->width;
    if (v->null_count == 0 && (w == 1 || w == 2 || w == 4 || w == 8) &&
        v->dict_count == (size_t)1 << w) { /* every code is in range */
        *count = swar_count_eq(v->packed, v->rows, w, want);
        return CS_OK;
    }
    uint64_t tmp[VIEW_CHUNK];
    uint8_t nul[VIEW_CHUNK];
    uint64_t bad = 0;
    size_t n = 0;
    for (size_t from = 0; from < v->rows; from += VIEW_CHUNK) {
        const size_t m = v->rows - from < VIEW_CHUNK ? v->rows - from : VIEW_CHUNK;
        cs_bitpack_unpack(v->packed + from / 8 * v->width, m, v->width, 0, tmp);
        size_t hits = 0;
        if (cs_seg_view_nulls(v, from, m, nul)) {
            for (size_t i = 0; i < m; i++) {
                bad |= (uint64_t)(tmp[i] >= v->dict_count);
                hits += (size_t)(tmp[i] == want) & (size_t)(nul[i] ^ 1);
            }
        } else {
            for (size_t i = 0; i < m; i++) {
                bad |= (uint64_t)(tmp[i] >= v->dict_count);
                hits += (size_t)(tmp[i] == want);
            }
        }
        n += hits;
    }
    if (bad != 0)
        return cs_error_set(err, CS_ECORRUPT, "%s: text values: dictionary code out of range",
                            v->file[0] != '\0' ? v->file : "segment");
    *count = n;
    return CS_OK;
}
