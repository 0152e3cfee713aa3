/*
 * One Parquet column chunk from Arrow arrays (etl/parquet_int.h):
 * 1. gather: definition (and repetition) levels and the non-NULL values of every batch of
 *    the row group, straight from the Arrow buffers (strings are not copied);
 * 2. choose the value encoding by measured size: PLAIN, RLE_DICTIONARY (a dictionary built
 *    in first-appearance order, given up once it grows past a bound), DELTA_BINARY_PACKED
 *    (integers: keys, timestamps and other ordered columns shrink to a few bits a row);
 * 3. cut data pages of at most page_rows rows (whole rows: list entries never straddle),
 *    each [repetition levels][definition levels][values] as format v1 lays them out;
 * 4. LZ4_RAW every page when that makes the chunk at least 1/16 smaller, else none;
 * 5. statistics over the non-NULL values (min/max as PLAIN bytes, the NULL count).
 */
#include "etl/parquet_int.h"

#include <assert.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* A dictionary larger than this is not worth its page: the column is written without one. */
#define DICT_MAX_ENTRIES (1u << 16)
#define DICT_MAX_BYTES   (1u << 20)
/* Values DELTA_BINARY_PACKED is measured on when choosing an encoding (16 blocks). */
#define DELTA_SAMPLE 2048u

struct gath {
    size_t nlev, nrows;
    uint32_t *def, *rep; /* nlev each; NULL when max_def / max_rep is 0 */
    size_t *row_lev;     /* lists: level index of each row's first entry (nrows + 1) */
    size_t nv;           /* non-NULL values */
    int64_t *iv;         /* integers */
    uint8_t *bv;         /* booleans */
    const uint8_t **sp;  /* strings: bytes ... */
    uint32_t *sl;        /* ... and lengths */
    int64_t nulls;
};

void *cs_pq_arr_get(struct cs_pq_arr *a, size_t bytes)
{
    if (bytes <= a->cap) return a->p;
    size_t cap = a->cap < 4096 ? 4096 : a->cap;
    while (cap < bytes)
        cap *= 2;
    void *p = realloc(a->p, cap);
    if (p == NULL) return NULL;
    a->p = p;
    a->cap = cap;
    return p;
}

struct cs_pq_scratch *cs_pq_scratch_new(void)
{
    return calloc(1, sizeof(struct cs_pq_scratch));
}

void cs_pq_scratch_free(struct cs_pq_scratch *s)
{
    if (s == NULL) return;
    struct cs_pq_arr *arrs[] = {&s->def, &s->rep, &s->row_lev, &s->iv,   &s->bv,   &s->sp,
                                &s->sl,  &s->idx, &s->first,   &s->slot, &s->hash, &s->pages};
    for (size_t i = 0; i < sizeof(arrs) / sizeof(arrs[0]); i++)
        free(arrs[i]->p);
    cs_pq_buf_free(&s->raw);
    cs_pq_buf_free(&s->comp);
    cs_pq_buf_free(&s->chunk);
    free(s);
}

static bool bit(const void *bits, int64_t i)
{
    return bits == NULL || ((((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1);
}

/* ---- 1. gathering ---- */

static int oom(struct cs_error *err)
{
    return cs_error_set(err, CS_ENOMEM, "out of memory");
}

static int alloc_gath(const struct cs_pq_col *c,
                      struct gath *g,
                      size_t nlev,
                      size_t nvals,
                      struct cs_pq_scratch *s,
                      struct cs_error *err)
{
    bool ok = true;
    if (c->max_def > 0) ok &= (g->def = cs_pq_arr_get(&s->def, (nlev + 1) * 4)) != NULL;
    if (c->max_rep > 0) ok &= (g->rep = cs_pq_arr_get(&s->rep, (nlev + 1) * 4)) != NULL;
    if (c->src == CS_PQ_SRC_BOOL) {
        ok &= (g->bv = cs_pq_arr_get(&s->bv, nvals + 1)) != NULL;
    } else if (c->src == CS_PQ_SRC_UTF8 || c->src == CS_PQ_SRC_LIST_UTF8) {
        ok &= (g->sp = cs_pq_arr_get(&s->sp, (nvals + 1) * sizeof(*g->sp))) != NULL;
        ok &= (g->sl = cs_pq_arr_get(&s->sl, (nvals + 1) * sizeof(*g->sl))) != NULL;
    } else {
        ok &= (g->iv = cs_pq_arr_get(&s->iv, (nvals + 1) * sizeof(*g->iv))) != NULL;
    }
    return ok ? CS_OK : oom(err);
}

static int put_value(const struct cs_pq_col *c,
                     const struct ArrowArray *a,
                     int64_t i,
                     struct gath *g,
                     struct cs_error *err)
{
    const void *vals = a->buffers[1];
    switch (c->src) {
    case CS_PQ_SRC_BOOL:
        g->bv[g->nv++] = bit(vals, i);
        break;
    case CS_PQ_SRC_I16:
        g->iv[g->nv++] = ((const int16_t *)vals)[i];
        break;
    case CS_PQ_SRC_I32:
        g->iv[g->nv++] = ((const int32_t *)vals)[i];
        break;
    case CS_PQ_SRC_I64:
        g->iv[g->nv++] = ((const int64_t *)vals)[i];
        break;
    case CS_PQ_SRC_DEC128: {
        const int64_t lo = ((const int64_t *)vals)[2 * i], hi = ((const int64_t *)vals)[2 * i + 1];
        if (hi != (lo < 0 ? -1 : 0))
            return cs_error_set(err, CS_EINVAL, "%s: decimal value beyond 64 bits", c->name);
        g->iv[g->nv++] = lo;
        break;
    }
    default: {
        const int32_t *off = vals;
        g->sp[g->nv] = (const uint8_t *)a->buffers[2] + off[i];
        g->sl[g->nv++] = (uint32_t)(off[i + 1] - off[i]);
        break;
    }
    }
    return CS_OK;
}

/* Values of rows [0, n) of a flat array whose validity is `valid` (NULL: all valid) appended
 * to g, one loop per source type. */
static int flat_values(const struct cs_pq_col *c,
                       const struct ArrowArray *a,
                       const void *valid,
                       struct gath *g,
                       struct cs_error *err)
{
    const int64_t n = a->length;
    const void *vals = a->buffers[1];
    size_t k = g->nv;
    switch (c->src) {
    case CS_PQ_SRC_I32: {
        const int32_t *x = vals;
        if (valid == NULL) {
            for (int64_t i = 0; i < n; i++)
                g->iv[k + (size_t)i] = x[i];
            k += (size_t)n;
            break;
        }
        for (int64_t i = 0; i < n; i++) {
            g->iv[k] = x[i];
            k += bit(valid, i);
        }
        break;
    }
    case CS_PQ_SRC_I64: {
        const int64_t *x = vals;
        if (valid == NULL) {
            memcpy(g->iv + k, x, (size_t)n * sizeof(*x));
            k += (size_t)n;
            break;
        }
        for (int64_t i = 0; i < n; i++) {
            g->iv[k] = x[i];
            k += bit(valid, i);
        }
        break;
    }
    case CS_PQ_SRC_UTF8: {
        const int32_t *off = vals;
        const uint8_t *data = a->buffers[2];
        for (int64_t i = 0; i < n; i++) {
            g->sp[k] = data + off[i];
            g->sl[k] = (uint32_t)(off[i + 1] - off[i]);
            k += valid == NULL || bit(valid, i);
        }
        break;
    }
    default: /* booleans, int16, decimals: through the general path */
        for (int64_t i = 0; i < n; i++) {
            if (!bit(valid, i)) continue;
            const int rc = put_value(c, a, i, g, err);
            if (rc != CS_OK) return rc;
        }
        return CS_OK;
    }
    g->nv = k;
    return CS_OK;
}

static int gather_flat(const struct cs_pq_col *c,
                       size_t j,
                       struct ArrowArray *const *batches,
                       size_t nb,
                       struct gath *g,
                       struct cs_pq_scratch *s,
                       struct cs_error *err)
{
    size_t rows = 0;
    for (size_t b = 0; b < nb; b++)
        rows += (size_t)batches[b]->children[j]->length;
    int rc = alloc_gath(c, g, rows, rows, s, err);
    for (size_t b = 0; b < nb && rc == CS_OK; b++) {
        const struct ArrowArray *a = batches[b]->children[j];
        const void *valid = a->null_count > 0 ? a->buffers[0] : NULL;
        if (!c->optional && a->null_count > 0)
            return cs_error_set(err, CS_EINVAL, "%s: NULL in a column declared NOT NULL", c->name);
        if (g->def != NULL && valid == NULL) {
            for (int64_t i = 0; i < a->length; i++)
                g->def[g->nlev + (size_t)i] = 1;
        } else if (g->def != NULL) {
            const uint8_t *vb = valid;
            for (int64_t i = 0; i < a->length; i++)
                g->def[g->nlev + (size_t)i] = (vb[i >> 3] >> (i & 7)) & 1;
        }
        g->nlev += (size_t)a->length;
        g->nulls += a->null_count > 0 ? a->null_count : 0;
        rc = flat_values(c, a, valid, g, err);
    }
    g->nrows = g->nlev;
    return rc;
}

static int gather_list(const struct cs_pq_col *c,
                       size_t j,
                       struct ArrowArray *const *batches,
                       size_t nb,
                       struct gath *g,
                       struct cs_pq_scratch *s,
                       struct cs_error *err)
{
    size_t rows = 0, elems = 0;
    for (size_t b = 0; b < nb; b++) {
        const struct ArrowArray *a = batches[b]->children[j];
        rows += (size_t)a->length;
        elems += (size_t)a->children[0]->length;
    }
    int rc = alloc_gath(c, g, rows + elems, elems, s, err);
    if (rc == CS_OK &&
        (g->row_lev = cs_pq_arr_get(&s->row_lev, (rows + 1) * sizeof(*g->row_lev))) == NULL)
        rc = oom(err);
    const uint32_t base = c->optional ? 1 : 0;
    for (size_t b = 0; b < nb && rc == CS_OK; b++) {
        const struct ArrowArray *a = batches[b]->children[j], *e = a->children[0];
        const void *valid = a->null_count > 0 ? a->buffers[0] : NULL;
        const void *evalid = e->null_count > 0 ? e->buffers[0] : NULL;
        const int32_t *off = a->buffers[1];
        if (!c->optional && a->null_count > 0)
            return cs_error_set(err, CS_EINVAL, "%s: NULL in a column declared NOT NULL", c->name);
        for (int64_t i = 0; i < a->length && rc == CS_OK; i++) {
            g->row_lev[g->nrows++] = g->nlev;
            if (!bit(valid, i) || off[i] == off[i + 1]) { /* NULL, or an empty list */
                g->def[g->nlev] = bit(valid, i) ? base : 0;
                g->rep[g->nlev++] = 0;
                g->nulls += !bit(valid, i);
                continue;
            }
            for (int32_t k = off[i]; k < off[i + 1] && rc == CS_OK; k++) {
                const bool v = bit(evalid, k);
                g->def[g->nlev] = base + 1 + v;
                g->rep[g->nlev++] = k == off[i] ? 0 : 1;
                if (v) rc = put_value(c, e, k, g, err);
            }
        }
    }
    if (rc == CS_OK) g->row_lev[g->nrows] = g->nlev;
    return rc;
}

/* ---- 2. choosing the value encoding ---- */

struct dict {
    size_t n;        /* entries */
    uint32_t *idx;   /* per value: its entry */
    uint32_t *first; /* per entry: the value that introduced it */
    size_t bytes;    /* PLAIN size of the dictionary page */
};

static void dict_free(struct dict *d)
{
    memset(d, 0, sizeof(*d)); /* the arrays belong to the scratch */
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return x;
}

/* build_dict() - the dictionary of the values, or false (d empty) when it would not pay. */
/* few_distinct() - whether the first values look repetitive enough for a dictionary: at most
 * a quarter of a sample distinct (a key or a timestamp never is). */
static bool few_distinct(const struct gath *g, bool str)
{
    enum { SAMPLE = 256, SLOTS = 1024 };
    const size_t n = g->nv < SAMPLE ? g->nv : SAMPLE;
    uint64_t seen[SLOTS];
    bool used[SLOTS] = {false};
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t h = str ? XXH3_64bits(g->sp[i], g->sl[i]) : mix64((uint64_t)g->iv[i]);
        size_t s = (size_t)h & (SLOTS - 1);
        while (used[s] && seen[s] != h)
            s = (s + 1) & (SLOTS - 1);
        if (!used[s]) {
            used[s] = true;
            seen[s] = h;
            distinct++;
        }
    }
    return distinct * 4 <= n;
}

static bool
build_dict(const struct gath *g, bool str, size_t width, struct dict *d, struct cs_pq_scratch *sc)
{
    memset(d, 0, sizeof(*d));
    if (g->nv < 16 || !few_distinct(g, str)) return false;
    const size_t limit = g->nv / 2 < DICT_MAX_ENTRIES ? g->nv / 2 : DICT_MAX_ENTRIES;
    size_t cap = 64;
    while (cap < 2 * limit)
        cap *= 2;
    uint32_t *slot = cs_pq_arr_get(&sc->slot, cap * sizeof(*slot)); /* entry + 1, 0 = empty */
    uint64_t *hash = cs_pq_arr_get(&sc->hash, cap * sizeof(*hash));
    d->idx = cs_pq_arr_get(&sc->idx, g->nv * sizeof(*d->idx));
    d->first = cs_pq_arr_get(&sc->first, (limit + 1) * sizeof(*d->first));
    bool ok = slot != NULL && hash != NULL && d->idx != NULL && d->first != NULL;
    if (ok) memset(slot, 0, cap * sizeof(*slot));
    for (size_t i = 0; ok && i < g->nv; i++) {
        const uint64_t h = str ? XXH3_64bits(g->sp[i], g->sl[i]) : mix64((uint64_t)g->iv[i]);
        size_t s = (size_t)h & (cap - 1);
        for (; slot[s] != 0; s = (s + 1) & (cap - 1)) {
            if (hash[s] != h) continue;
            const uint32_t f = d->first[slot[s] - 1];
            if (str ? g->sl[f] == g->sl[i] &&
                          (g->sl[i] == 0 || memcmp(g->sp[f], g->sp[i], g->sl[i]) == 0)
                    : g->iv[f] == g->iv[i])
                break;
        }
        if (slot[s] == 0) {
            if (d->n == limit) {
                ok = false;
                break;
            }
            d->first[d->n++] = (uint32_t)i;
            slot[s] = (uint32_t)d->n;
            hash[s] = h;
            d->bytes += str ? 4 + g->sl[i] : width;
            ok = d->bytes <= DICT_MAX_BYTES;
        }
        d->idx[i] = slot[s] - 1;
    }
    if (!ok) dict_free(d);
    return ok;
}

enum { VE_PLAIN, VE_DICT, VE_DELTA };

static size_t plain_size(const struct cs_pq_col *c, const struct gath *g)
{
    if (c->phys == PQ_BOOLEAN) return (g->nv + 7) / 8;
    if (c->phys == PQ_INT32) return 4 * g->nv;
    if (c->phys == PQ_INT64) return 8 * g->nv;
    size_t n = 0;
    for (size_t i = 0; i < g->nv; i++)
        n += 4 + g->sl[i];
    return n;
}

/* Bits of a dictionary index: at least 1 (a reader need not take width 0). */
static unsigned dict_width(const struct dict *d)
{
    const unsigned w = cs_pq_bit_width(d->n - 1);
    return w == 0 ? 1 : w;
}

/* choose() - *enc = the smallest encoding of the values (d keeps the dictionary for VE_DICT). */
static int choose(const struct cs_pq_col *c,
                  const struct gath *g,
                  struct dict *d,
                  int *enc,
                  struct cs_pq_scratch *sc,
                  struct cs_error *err)
{
    *enc = VE_PLAIN;
    if (c->phys == PQ_BOOLEAN) return CS_OK;
    const bool str = c->phys == PQ_BYTE_ARRAY;
    size_t best = plain_size(c, g);
    if (build_dict(g, str, c->phys == PQ_INT32 ? 4 : 8, d, sc)) {
        const size_t dsize = d->bytes + g->nv * dict_width(d) / 8 + 1;
        if (dsize < best) {
            best = dsize;
            *enc = VE_DICT;
        }
    }
    if (!str && g->nv > 0) {
        /* measured on a sample of the first blocks, scaled: a column's differences look alike */
        const size_t n = g->nv < DELTA_SAMPLE ? g->nv : DELTA_SAMPLE;
        const size_t sample = cs_pq_delta_size(g->iv, n, c->phys == PQ_INT32 ? 32 : 64);
        if ((double)sample * ((double)g->nv / (double)n) < (double)best) *enc = VE_DELTA;
    }
    if (*enc != VE_DICT) dict_free(d);
    (void)err;
    return CS_OK;
}

/* ---- 3. pages ---- */

static void plain_values(
    const struct cs_pq_col *c, const struct gath *g, size_t v0, size_t v1, struct cs_pq_buf *b)
{
    if (c->phys == PQ_BOOLEAN) {
        const size_t n = v1 - v0;
        uint8_t *p = cs_pq_buf_room(b, (n + 7) / 8);
        if (p == NULL) return;
        memset(p, 0, (n + 7) / 8);
        for (size_t i = 0; i < n; i++)
            p[i >> 3] |= (uint8_t)(g->bv[v0 + i] << (i & 7));
        b->len += (n + 7) / 8;
    } else if (c->phys == PQ_INT32) {
        for (size_t i = v0; i < v1; i++)
            cs_pq_buf_u32le(b, (uint32_t)g->iv[i]);
    } else if (c->phys == PQ_INT64) {
        assert(g->iv != NULL); /* alloc_gath(): an INT64 column gathers into iv */
        uint8_t *p = cs_pq_buf_room(b, 8 * (v1 - v0));
        if (p == NULL) return;
        memcpy(p, g->iv + v0, 8 * (v1 - v0)); /* little-endian host (parquet_enc.c) */
        b->len += 8 * (v1 - v0);
    } else {
        for (size_t i = v0; i < v1; i++) {
            cs_pq_buf_u32le(b, g->sl[i]);
            cs_pq_buf_put(b, g->sp[i], g->sl[i]);
        }
    }
}

static void levels(const uint32_t *lv, size_t n, int max, struct cs_pq_buf *b)
{
    const size_t at = b->len;
    cs_pq_buf_u32le(b, 0); /* length, patched below */
    cs_pq_rle(b, lv, n, cs_pq_bit_width((uint64_t)max));
    if (b->failed) return;
    const uint32_t len = (uint32_t)(b->len - at - 4);
    for (int k = 0; k < 4; k++)
        b->p[at + (size_t)k] = (uint8_t)(len >> (8 * k));
}

/* A page body, raw and (maybe) compressed. */
struct page {
    int type; /* PQ_PAGE_* */
    int encoding;
    size_t nvalues; /* level entries (data) or entries (dictionary) */
    size_t raw_at, raw_len, comp_at, comp_len;
};

struct pages {
    struct page *v;
    size_t n;
    struct cs_pq_arr *varr;
    struct cs_pq_buf raw, comp; /* borrowed from the scratch, handed back at the end */
};

static bool add_page(struct pages *ps, int type, int encoding, size_t nvalues, size_t raw_at)
{
    ps->v = cs_pq_arr_get(ps->varr, (ps->n + 1) * sizeof(*ps->v));
    if (ps->v == NULL) return false;
    ps->v[ps->n++] = (struct page){type, encoding, nvalues, raw_at, ps->raw.len - raw_at, 0, 0};
    return true;
}

static void dict_page(const struct cs_pq_col *c,
                      const struct gath *g,
                      const struct dict *d,
                      struct cs_pq_buf *b)
{
    for (size_t e = 0; e < d->n; e++) {
        const size_t i = d->first[e];
        if (c->phys == PQ_INT32)
            cs_pq_buf_u32le(b, (uint32_t)g->iv[i]);
        else if (c->phys == PQ_INT64)
            cs_pq_buf_u64le(b, (uint64_t)g->iv[i]);
        else {
            cs_pq_buf_u32le(b, g->sl[i]);
            cs_pq_buf_put(b, g->sp[i], g->sl[i]);
        }
    }
}

static void data_page(const struct cs_pq_col *c,
                      const struct gath *g,
                      const struct dict *d,
                      int enc,
                      size_t l0,
                      size_t l1,
                      size_t v0,
                      size_t v1,
                      struct cs_pq_buf *b)
{
    if (c->max_rep > 0) levels(g->rep + l0, l1 - l0, c->max_rep, b);
    if (c->max_def > 0) levels(g->def + l0, l1 - l0, c->max_def, b);
    if (enc == VE_DICT) {
        const unsigned w = dict_width(d);
        cs_pq_buf_u8(b, (uint8_t)w);
        cs_pq_rle(b, d->idx + v0, v1 - v0, w);
    } else if (enc == VE_DELTA) {
        cs_pq_delta(b, g->iv + v0, v1 - v0, c->phys == PQ_INT32 ? 32 : 64);
    } else {
        plain_values(c, g, v0, v1, b);
    }
}

static size_t values_in(const struct cs_pq_col *c, const struct gath *g, size_t l0, size_t l1)
{
    if (c->max_def == 0) return l1 - l0;
    size_t n = 0;
    for (size_t l = l0; l < l1; l++)
        n += g->def[l] == (uint32_t)c->max_def;
    return n;
}

static int make_pages(const struct cs_pq_col *c,
                      const struct gath *g,
                      const struct dict *d,
                      int enc,
                      size_t page_rows,
                      struct pages *ps,
                      struct cs_error *err)
{
    static const int encs[] = {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BINARY_PACKED};
    if (enc == VE_DICT) {
        const size_t at = ps->raw.len;
        dict_page(c, g, d, &ps->raw);
        if (!add_page(ps, PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, d->n, at)) return oom(err);
    }
    size_t v0 = 0;
    for (size_t r0 = 0; r0 < g->nrows || (r0 == 0 && g->nrows == 0); r0 += page_rows) {
        const size_t r1 = g->nrows - r0 < page_rows ? g->nrows : r0 + page_rows;
        const size_t l0 = g->row_lev != NULL ? g->row_lev[r0] : r0;
        const size_t l1 = g->row_lev != NULL ? g->row_lev[r1] : r1;
        const size_t v1 = v0 + values_in(c, g, l0, l1);
        const size_t at = ps->raw.len;
        data_page(c, g, d, enc, l0, l1, v0, v1, &ps->raw);
        if (!add_page(ps, PQ_PAGE_DATA, encs[enc], l1 - l0, at)) return oom(err);
        v0 = v1;
        if (g->nrows == 0) break;
    }
    return ps->raw.failed ? oom(err) : CS_OK;
}

/* ---- 4. compression ---- */

static int compress_pages(struct pages *ps, int compression, int *codec, struct cs_error *err)
{
    *codec = PQ_CODEC_UNCOMPRESSED;
    if (compression == CS_PQ_UNCOMPRESSED) return CS_OK;
    size_t raw = 0, comp = 0;
    for (size_t i = 0; i < ps->n; i++) {
        struct page *p = &ps->v[i];
        if (p->raw_len > (size_t)LZ4_MAX_INPUT_SIZE) return CS_OK; /* too large: uncompressed */
        const int bound = LZ4_compressBound((int)p->raw_len);
        uint8_t *dst = cs_pq_buf_room(&ps->comp, (size_t)bound);
        if (dst == NULL) return oom(err);
        const int n = LZ4_compress_default((const char *)ps->raw.p + p->raw_at, (char *)dst,
                                           (int)p->raw_len, bound);
        if (n <= 0)
            return cs_error_set(err, CS_EINVAL, "LZ4 failed on a page of %zu bytes", p->raw_len);
        p->comp_at = ps->comp.len;
        p->comp_len = (size_t)n;
        ps->comp.len += (size_t)n;
        raw += p->raw_len;
        comp += p->comp_len;
    }
    if (comp * 16 <= raw * 15) *codec = PQ_CODEC_LZ4_RAW;
    return CS_OK;
}

/* ---- 5. statistics ---- */

static void put_le(uint8_t *p, int64_t v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (uint8_t)((uint64_t)v >> (8 * k));
}

static int bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    const int c = al == 0 || bl == 0 ? 0 : memcmp(a, b, al < bl ? al : bl);
    return c != 0 ? c : (al > bl) - (al < bl);
}

static void statistics(const struct cs_pq_col *c, const struct gath *g, struct cs_pq_chunk *m)
{
    m->null_count = c->max_rep > 0 ? -1 : g->nulls;
    m->has_minmax = false;
    if (g->nv == 0 || c->max_rep > 0) return;
    if (c->phys == PQ_BYTE_ARRAY) {
        size_t lo = 0, hi = 0;
        for (size_t i = 1; i < g->nv; i++) {
            if (bytes_cmp(g->sp[i], g->sl[i], g->sp[lo], g->sl[lo]) < 0) lo = i;
            if (bytes_cmp(g->sp[i], g->sl[i], g->sp[hi], g->sl[hi]) > 0) hi = i;
        }
        if (g->sl[lo] > sizeof(m->min) || g->sl[hi] > sizeof(m->max)) return; /* too long */
        if (g->sl[lo] > 0) memcpy(m->min, g->sp[lo], g->sl[lo]);
        if (g->sl[hi] > 0) memcpy(m->max, g->sp[hi], g->sl[hi]);
        m->min_len = g->sl[lo];
        m->max_len = g->sl[hi];
    } else if (c->phys == PQ_BOOLEAN) {
        uint8_t lo = 1, hi = 0;
        for (size_t i = 0; i < g->nv; i++) {
            lo &= g->bv[i];
            hi |= g->bv[i];
        }
        m->min[0] = lo;
        m->max[0] = hi;
        m->min_len = m->max_len = 1;
    } else {
        int64_t lo = g->iv[0], hi = g->iv[0];
        for (size_t i = 1; i < g->nv; i++) {
            lo = g->iv[i] < lo ? g->iv[i] : lo;
            hi = g->iv[i] > hi ? g->iv[i] : hi;
        }
        m->min_len = m->max_len = c->phys == PQ_INT32 ? 4 : 8;
        put_le(m->min, lo, m->min_len);
        put_le(m->max, hi, m->max_len);
    }
    m->has_minmax = true;
}

/* ---- the chunk ---- */

static void page_header(const struct page *p, size_t comp_len, struct cs_pq_buf *out)
{
    struct cs_thrift t;
    cs_thrift_begin(&t, out);
    cs_thrift_i32(&t, 1, p->type);
    cs_thrift_i32(&t, 2, (int32_t)p->raw_len);
    cs_thrift_i32(&t, 3, (int32_t)comp_len);
    if (p->type == PQ_PAGE_DICTIONARY) {
        cs_thrift_struct(&t, 7);
        cs_thrift_i32(&t, 1, (int32_t)p->nvalues);
        cs_thrift_i32(&t, 2, PQ_ENC_PLAIN);
    } else {
        cs_thrift_struct(&t, 5);
        cs_thrift_i32(&t, 1, (int32_t)p->nvalues);
        cs_thrift_i32(&t, 2, p->encoding);
        cs_thrift_i32(&t, 3, PQ_ENC_RLE);
        cs_thrift_i32(&t, 4, PQ_ENC_RLE);
    }
    cs_thrift_end(&t);
    cs_thrift_end(&t);
}

static int emit(const struct pages *ps,
                int codec,
                struct cs_pq_buf *out,
                struct cs_pq_chunk *m,
                struct cs_error *err)
{
    const size_t start = out->len;
    m->dict_offset = -1;
    m->data_offset = -1;
    m->uncompressed = m->compressed = 0;
    for (size_t i = 0; i < ps->n; i++) {
        const struct page *p = &ps->v[i];
        const bool lz4 = codec == PQ_CODEC_LZ4_RAW;
        const size_t body = lz4 ? p->comp_len : p->raw_len;
        if (p->raw_len > INT32_MAX || body > INT32_MAX)
            return cs_error_set(err, CS_EINVAL, "a page of %zu bytes is beyond Parquet's 2 GiB",
                                p->raw_len);
        const size_t at = out->len;
        if (p->type == PQ_PAGE_DICTIONARY)
            m->dict_offset = (int64_t)(at - start);
        else if (m->data_offset < 0)
            m->data_offset = (int64_t)(at - start);
        page_header(p, body, out);
        const size_t hdr = out->len - at;
        cs_pq_buf_put(out, (lz4 ? ps->comp.p + p->comp_at : ps->raw.p + p->raw_at), body);
        m->uncompressed += (int64_t)(hdr + p->raw_len);
        m->compressed += (int64_t)(hdr + body);
    }
    return out->failed ? oom(err) : CS_OK;
}

int cs_pq_column_chunk(const struct cs_pq_col *col,
                       size_t j,
                       struct ArrowArray *const *batches,
                       size_t nb,
                       const struct cs_pq_options *o,
                       struct cs_pq_scratch *sc,
                       struct cs_pq_buf *out,
                       struct cs_pq_chunk *m,
                       struct cs_error *err)
{
    struct gath g = {0};
    struct dict d = {0};
    struct pages ps = {.varr = &sc->pages, .raw = sc->raw, .comp = sc->comp};
    ps.raw.len = ps.comp.len = 0;
    ps.raw.failed = ps.comp.failed = false;
    int rc = col->src == CS_PQ_SRC_LIST_UTF8 ? gather_list(col, j, batches, nb, &g, sc, err)
                                             : gather_flat(col, j, batches, nb, &g, sc, err);
    if (rc != CS_OK) goto out;
    int enc = VE_PLAIN;
    rc = choose(col, &g, &d, &enc, sc, err);
    if (rc != CS_OK) goto out;
    const size_t page_rows = o->page_rows != 0 ? o->page_rows : CS_PQ_PAGE_ROWS;
    rc = make_pages(col, &g, &d, enc, page_rows, &ps, err);
    if (rc == CS_OK) rc = compress_pages(&ps, o->compression, &m->codec, err);
    if (rc == CS_OK) rc = emit(&ps, m->codec, out, m, err);
    if (rc != CS_OK) goto out;
    static const int encs[] = {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BINARY_PACKED};
    m->num_values = (int64_t)g.nlev;
    m->nencodings = 0;
    if (enc == VE_DICT || enc == VE_PLAIN) m->encodings[m->nencodings++] = PQ_ENC_PLAIN;
    m->encodings[m->nencodings++] = PQ_ENC_RLE;
    if (enc != VE_PLAIN) m->encodings[m->nencodings++] = encs[enc];
    statistics(col, &g, m);
out:
    sc->raw = ps.raw; /* keep what the buffers grew to */
    sc->comp = ps.comp;
    return rc;
}
