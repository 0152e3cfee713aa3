/*
 * Value codecs of integer-like (CS_K_I64) and boolean (CS_K_BOOL) segments.
 *
 * I64: CONST (every non-NULL value equal), FOR (frame of reference: the minimum, then each
 * value minus it bit-packed at the width of max - min), DELTA (the first value, then the
 * differences minus their minimum, bit-packed: time-ordered timestamps and sequential keys
 * pack in a few bits), and PFOR / DELTA_PFOR, the same in blocks of 128 values, each block
 * with its own width and exceptions for the long tail (storage/codec_pfor.c). Values are
 * dense: a NULL row holds the previous non-NULL value (the first one for leading NULLs), which
 * costs nothing in FOR and DELTA. All arithmetic is modulo 2^64, so ranges wider than
 * INT64_MAX round-trip.
 * BOOL: CONST, or BITS (one bit a row). Layouts: docs/storage-segments.md.
 */
#include "storage/codec.h"

#include <stdlib.h>
#include <string.h>

/* What the i64 encoders share, computed once per column: the deltas and, for the PFOR codecs,
 * the width of every block. */
struct i64_enc {
    const uint64_t *v; /* n values, NULL rows filled */
    size_t n;
    int64_t min, max;
    uint64_t *d; /* the n - 1 differences v[i + 1] - v[i] (mod 2^64) */
    int64_t dmin;
    unsigned dwidth;              /* bits of the widest d - dmin */
    uint8_t *for_plan, *dlt_plan; /* block widths of v - min, of d - dmin */
    size_t for_bytes, dlt_bytes;  /* their blocks' bytes */
};

static bool prepare_deltas(struct i64_enc *e)
{
    const size_t n = e->n;
    e->d = malloc((n > 1 ? n - 1 : 1) * sizeof(*e->d));
    if (e->d == NULL) return false;
    int64_t dmin = INT64_MAX, dmax = INT64_MIN;
    for (size_t i = 1; i < n; i++) {
        const uint64_t d = e->v[i] - e->v[i - 1];
        e->d[i - 1] = d;
        dmin = (int64_t)d < dmin ? (int64_t)d : dmin;
        dmax = (int64_t)d > dmax ? (int64_t)d : dmax;
    }
    e->dmin = n > 1 ? dmin : 0;
    e->dwidth = n > 1 ? cs_bitpack_width((uint64_t)dmax - (uint64_t)dmin) : 0;
    return true;
}

static bool prepare_for_plan(struct i64_enc *e)
{
    e->for_plan = malloc((e->n + CS_PFOR_BLOCK - 1) / CS_PFOR_BLOCK + 1);
    if (e->for_plan == NULL) return false;
    e->for_bytes = cs_pfor_plan(e->v, e->n, (uint64_t)e->min, e->for_plan);
    return true;
}

static bool prepare_dlt_plan(struct i64_enc *e)
{
    e->dlt_plan = malloc(e->n / CS_PFOR_BLOCK + 1);
    if (e->dlt_plan == NULL) return false;
    e->dlt_bytes = cs_pfor_plan(e->d, e->n - 1, (uint64_t)e->dmin, e->dlt_plan);
    return true;
}

/* What a forced codec or the measured choice needs prepared; false when memory runs out. */
static bool prepare(struct i64_enc *e, int codec)
{
    const bool any = codec == CS_CODEC_AUTO && e->min != e->max;
    if ((any || codec == CS_CODEC_I64_DELTA || codec == CS_CODEC_I64_DELTA_PFOR) &&
        !prepare_deltas(e))
        return false;
    if ((any || codec == CS_CODEC_I64_PFOR) && !prepare_for_plan(e)) return false;
    if ((any || codec == CS_CODEC_I64_DELTA_PFOR) && !prepare_dlt_plan(e)) return false;
    return true;
}

/* A PFOR codec must save this share of the plain codec's bytes to be chosen: its blocks decode
 * slower than one bit width (exceptions, a block walk when a view opens), so a few percent of
 * size is not worth it; long-tailed columns (latencies, sizes) save 20-35 %. Measured on the
 * one-year store: at 15 % the store is 23.7 bytes per fact row and the reports keep FOR speed
 * on their short columns (docs/storage-segments.md). */
#define PFOR_MIN_SAVING_PCT 15

/* Codec chosen for the non-NULL values by measuring the sections: the smaller of FOR and DELTA
 * (FOR on a tie), unless PFOR or DELTA_PFOR is smaller by PFOR_MIN_SAVING_PCT. */
static int choose_i64(const struct i64_enc *e)
{
    if (e->min == e->max) return CS_CODEC_I64_CONST;
    const size_t n = e->n;
    const size_t sizes[4] = {
        9 + cs_bitpack_bytes(n, cs_bitpack_width((uint64_t)e->max - (uint64_t)e->min)),
        17 + cs_bitpack_bytes(n - 1, e->dwidth), 8 + e->for_bytes, 16 + e->dlt_bytes};
    static const int codecs[4] = {CS_CODEC_I64_FOR, CS_CODEC_I64_DELTA, CS_CODEC_I64_PFOR,
                                  CS_CODEC_I64_DELTA_PFOR};
    size_t plain = sizes[1] < sizes[0] ? 1 : 0, blocked = sizes[3] < sizes[2] ? 3 : 2;
    const bool worth = sizes[blocked] * 100 <= sizes[plain] * (100 - PFOR_MIN_SAVING_PCT);
    return codecs[worth ? blocked : plain];
}

/* NULL rows replaced by the previous non-NULL value (the first one for leading NULLs). */
static uint64_t *fill_nulls(const int64_t *src, const uint8_t *nulls, size_t n)
{
    uint64_t *v = malloc(n * sizeof(*v));
    if (v == NULL) return NULL;
    size_t first = 0;
    while (first < n && nulls[first])
        first++;
    uint64_t prev = first < n ? (uint64_t)src[first] : 0;
    for (size_t i = 0; i < n; i++) {
        if (!nulls[i]) prev = (uint64_t)src[i];
        v[i] = prev;
    }
    return v;
}

static int encode_empty(const struct cs_enc_in *in, uint8_t *codec, struct cs_error *err)
{
    if (in->force != CS_CODEC_AUTO && in->force != CS_CODEC_EMPTY)
        return cs_error_set(err, CS_EINVAL, "codec %d cannot encode an all-NULL column", in->force);
    *codec = CS_CODEC_EMPTY;
    return CS_OK;
}

static int put_i64(const struct i64_enc *e, int codec, struct cs_wbuf *w, struct cs_error *err)
{
    switch (codec) {
    case CS_CODEC_I64_CONST:
        if (e->min != e->max) return cs_error_set(err, CS_EINVAL, "i64 const codec: values differ");
        cs_wbuf_u64(w, (uint64_t)e->min);
        return CS_OK;
    case CS_CODEC_I64_FOR: {
        const unsigned width = cs_bitpack_width((uint64_t)e->max - (uint64_t)e->min);
        cs_wbuf_u64(w, (uint64_t)e->min);
        cs_wbuf_u8(w, (uint8_t)width);
        cs_wbuf_packed(w, e->v, e->n, width, (uint64_t)e->min);
        return CS_OK;
    }
    case CS_CODEC_I64_DELTA:
        cs_wbuf_u64(w, e->v[0]);
        cs_wbuf_u64(w, (uint64_t)e->dmin);
        cs_wbuf_u8(w, (uint8_t)e->dwidth);
        cs_wbuf_packed(w, e->d, e->n - 1, e->dwidth, (uint64_t)e->dmin);
        return CS_OK;
    case CS_CODEC_I64_PFOR:
        cs_wbuf_u64(w, (uint64_t)e->min);
        cs_pfor_put(w, e->v, e->n, (uint64_t)e->min, e->for_plan);
        return CS_OK;
    case CS_CODEC_I64_DELTA_PFOR:
        cs_wbuf_u64(w, e->v[0]);
        cs_wbuf_u64(w, (uint64_t)e->dmin);
        cs_pfor_put(w, e->d, e->n - 1, (uint64_t)e->dmin, e->dlt_plan);
        return CS_OK;
    default:
        return cs_error_set(err, CS_EINVAL, "codec %d cannot encode i64 values", codec);
    }
}

int cs_codec_encode_i64(const struct cs_enc_in *in,
                        struct cs_wbuf *w,
                        uint8_t *codec,
                        struct cs_seg_stats *stats,
                        struct cs_error *err)
{
    const size_t n = in->rows;
    if (n == in->null_count) return encode_empty(in, codec, err);
    uint64_t *filled = NULL;
    struct i64_enc e = {.v = (const uint64_t *)in->c->i64, .n = n};
    if (in->nulls != NULL) {
        filled = fill_nulls(in->c->i64, in->nulls, n);
        if (filled == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        e.v = filled;
    }
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        min = (int64_t)e.v[i] < min ? (int64_t)e.v[i] : min;
        max = (int64_t)e.v[i] > max ? (int64_t)e.v[i] : max;
    }
    stats->min = e.min = min;
    stats->max = e.max = max;
    int rc = CS_OK, chosen = in->force;
    if (!prepare(&e, in->force)) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    } else {
        if (chosen == CS_CODEC_AUTO) chosen = choose_i64(&e);
        rc = put_i64(&e, chosen, w, err);
    }
    free(filled);
    free(e.d);
    free(e.for_plan);
    free(e.dlt_plan);
    *codec = (uint8_t)chosen;
    return rc;
}

int cs_codec_decode_i64(struct cs_rbuf *r,
                        int codec,
                        size_t rows,
                        const uint8_t *nulls,
                        struct cs_col *out,
                        struct cs_error *err)
{
    uint64_t *v = (uint64_t *)out->i64;
    uint64_t a = 0, b = 0;
    uint8_t width = 0;
    switch (codec) {
    case CS_CODEC_EMPTY:
        b = 0;
        goto fill;
    case CS_CODEC_I64_CONST:
        if (!cs_rbuf_u64(r, &b)) goto truncated;
    fill:
        for (size_t i = 0; i < rows; i++)
            v[i] = b;
        break;
    case CS_CODEC_I64_FOR: {
        if (!cs_rbuf_u64(r, &a) || !cs_rbuf_u8(r, &width)) goto truncated;
        if (width > 64) goto bad_width;
        const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(rows, width));
        if (p == NULL) goto truncated;
        cs_bitpack_unpack(p, rows, width, a, v);
        break;
    }
    case CS_CODEC_I64_DELTA: {
        if (rows == 0) goto truncated;
        if (!cs_rbuf_u64(r, &a) || !cs_rbuf_u64(r, &b) || !cs_rbuf_u8(r, &width)) goto truncated;
        if (width > 64) goto bad_width;
        const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(rows - 1, width));
        if (p == NULL) goto truncated;
        if (width == 0) { /* an arithmetic progression: sequential keys */
            for (size_t i = 0; i < rows; i++)
                v[i] = a + (uint64_t)i * b;
            break;
        }
        cs_bitpack_unpack(p, rows - 1, width, b, v + 1);
        v[0] = a;
        cs_running_sum(v + 1, rows - 1, a);
        break;
    }
    case CS_CODEC_I64_PFOR: {
        if (!cs_rbuf_u64(r, &a)) goto truncated;
        const char *problem = cs_pfor_decode(r, rows, a, v);
        if (problem != NULL) return cs_error_set(err, CS_ECORRUPT, "%s", problem);
        break;
    }
    case CS_CODEC_I64_DELTA_PFOR: {
        if (rows == 0 || !cs_rbuf_u64(r, &a) || !cs_rbuf_u64(r, &b)) goto truncated;
        const char *problem = cs_pfor_decode_sum(r, rows - 1, b, a, v);
        if (problem != NULL) return cs_error_set(err, CS_ECORRUPT, "%s", problem);
        break;
    }
    default:
        return cs_error_set(err, CS_ECORRUPT, "codec %d is not an i64 codec", codec);
    }
    if (nulls != NULL) { /* a mask, not a branch: NULLs fall at random */
        for (size_t i = 0; i < rows; i++)
            v[i] &= -(uint64_t)(nulls[i] == 0);
    }
    return CS_OK;
truncated:
    return cs_error_set(err, CS_ECORRUPT, "i64 values end early (codec %d, %zu rows)", codec, rows);
bad_width:
    return cs_error_set(err, CS_ECORRUPT, "i64 bit width %u over 64", (unsigned)width);
}

int cs_codec_encode_bool(const struct cs_enc_in *in,
                         struct cs_wbuf *w,
                         uint8_t *codec,
                         struct cs_seg_stats *stats,
                         struct cs_error *err)
{
    const size_t n = in->rows;
    if (n == in->null_count) return encode_empty(in, codec, err);
    const uint8_t *b8 = in->c->b8;
    size_t trues = 0;
    for (size_t i = 0; i < n; i++) { /* branch-free: the values are random */
        trues += (size_t)((unsigned)(b8[i] != 0) & (unsigned)(in->nulls == NULL || !in->nulls[i]));
    }
    const size_t valid = n - in->null_count;
    stats->min = trues == valid ? 1 : 0;
    stats->max = trues > 0 ? 1 : 0;
    int chosen = in->force;
    if (chosen == CS_CODEC_AUTO)
        chosen = stats->min == stats->max ? CS_CODEC_BOOL_CONST : CS_CODEC_BOOL_BITS;
    if (chosen == CS_CODEC_BOOL_CONST) {
        if (stats->min != stats->max)
            return cs_error_set(err, CS_EINVAL, "bool const codec: values differ");
        cs_wbuf_u8(w, (uint8_t)stats->min);
    } else if (chosen == CS_CODEC_BOOL_BITS) {
        uint8_t *p = cs_wbuf_reserve(w, (n + 7) / 8);
        if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        cs_bytes_to_bits(b8, in->nulls, n, p);
        w->len += (n + 7) / 8;
    } else {
        return cs_error_set(err, CS_EINVAL, "codec %d cannot encode bool values", chosen);
    }
    *codec = (uint8_t)chosen;
    return CS_OK;
}

int cs_codec_decode_bool(struct cs_rbuf *r,
                         int codec,
                         size_t rows,
                         const uint8_t *nulls,
                         struct cs_col *out,
                         struct cs_error *err)
{
    uint8_t *b8 = out->b8;
    uint8_t v = 0;
    if (codec == CS_CODEC_EMPTY || codec == CS_CODEC_BOOL_CONST) {
        if (codec == CS_CODEC_BOOL_CONST && !cs_rbuf_u8(r, &v))
            return cs_error_set(err, CS_ECORRUPT, "bool values end early");
        if (v > 1) return cs_error_set(err, CS_ECORRUPT, "bool constant %u is not 0 or 1", v);
        if (rows > 0) memset(b8, v, rows);
    } else if (codec == CS_CODEC_BOOL_BITS) {
        const uint8_t *p = cs_rbuf_take(r, (rows + 7) / 8);
        if (p == NULL) return cs_error_set(err, CS_ECORRUPT, "bool values end early");
        if ((rows & 7) != 0 && (p[rows >> 3] >> (rows & 7)) != 0)
            return cs_error_set(err, CS_ECORRUPT, "bool bitmap has bits set past the last row");
        (void)cs_bits_to_bytes(p, rows, b8);
    } else {
        return cs_error_set(err, CS_ECORRUPT, "codec %d is not a bool codec", codec);
    }
    if (nulls != NULL && codec == CS_CODEC_BOOL_BITS) {
        uint8_t set = 0; /* NULL rows are 0 (docs/storage-segments.md §3) */
        for (size_t i = 0; i < rows; i++)
            set |= (uint8_t)((nulls[i] != 0) & b8[i]);
        if (set != 0)
            return cs_error_set(err, CS_ECORRUPT, "bool bitmap has a bit set on a NULL row");
    }
    if (nulls != NULL) {
        for (size_t i = 0; i < rows; i++)
            b8[i] = nulls[i] ? 0 : b8[i];
    }
    return CS_OK;
}
