/*
 * Value codecs of text (CS_K_STR) and 16-byte hash (CS_K_FIX16) segments.
 *
 * STR: PLAIN (lengths bit-packed, then the bytes of every string back to back) or DICT (the
 * distinct strings once, in order of first appearance, then one bit-packed code a row),
 * whichever is smaller; the dictionary is only tried up to 64 Ki distinct values, or half the
 * rows. A NULL row has length 0 (PLAIN) or code 0 (DICT, ignored on decode).
 * FIX16: PLAIN, 16 bytes a row (MD5 hashes do not compress). Layouts: docs/storage-segments.md.
 */
#include "storage/codec.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "storage/base/limits.h"

#define DICT_MAX_ENTRIES (1u << 16)

static const char *str_at(const struct cs_col *c, size_t i, size_t *len)
{
    static const char empty[1] = "";
    *len = (size_t)(c->off[i + 1] - c->off[i]);
    return *len > 0 ? c->data + c->off[i] : empty;
}

struct dict {
    size_t count;     /* distinct non-NULL strings */
    size_t bytes;     /* their total length */
    uint32_t *first;  /* count: row of each entry's first appearance */
    uint64_t *codes;  /* rows: entry of each row (0 for NULL rows) */
    uint64_t max_len; /* longest entry */
};

static void dict_free(struct dict *d)
{
    free(d->first);
    free(d->codes);
}

/* Build the dictionary of in's strings; false when more than `limit` distinct values (or out of
 * memory, with *oom set). */
static bool dict_build(const struct cs_enc_in *in, size_t limit, struct dict *d, bool *oom)
{
    const struct cs_col *c = in->c;
    size_t cap = 16;
    while (cap < 2 * limit)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof(*slots)); /* entry + 1, 0 = empty */
    uint64_t *hashes = malloc(limit * sizeof(*hashes));
    memset(d, 0, sizeof(*d));
    d->first = malloc(limit * sizeof(*d->first));
    d->codes = malloc(in->rows * sizeof(*d->codes));
    bool ok = slots != NULL && hashes != NULL && d->first != NULL && d->codes != NULL;
    *oom = !ok;
    for (size_t i = 0; ok && i < in->rows; i++) {
        d->codes[i] = 0;
        if (in->nulls != NULL && in->nulls[i]) continue;
        size_t len, olen;
        const char *s = str_at(c, i, &len);
        const uint64_t h = XXH3_64bits(s, len);
        size_t k = (size_t)h & (cap - 1);
        for (; slots[k] != 0; k = (k + 1) & (cap - 1)) {
            const uint32_t e = slots[k] - 1;
            const char *o = str_at(c, d->first[e], &olen);
            if (hashes[e] == h && olen == len && memcmp(o, s, len) == 0) break;
        }
        if (slots[k] == 0) {
            if (d->count == limit) {
                ok = false;
                break;
            }
            hashes[d->count] = h;
            d->first[d->count] = (uint32_t)i;
            d->bytes += len;
            d->max_len = len > d->max_len ? len : d->max_len;
            slots[k] = (uint32_t)++d->count;
        }
        d->codes[i] = slots[k] - 1;
    }
    free(slots);
    free(hashes);
    if (!ok) dict_free(d);
    return ok;
}

static size_t dict_size(const struct dict *d, size_t rows)
{
    const unsigned wc = cs_bitpack_width(d->count - 1);
    return 4 + 1 + cs_bitpack_bytes(d->count, cs_bitpack_width(d->max_len)) + d->bytes + 1 +
           cs_bitpack_bytes(rows, wc);
}

static int put_dict(const struct cs_enc_in *in, const struct dict *d, struct cs_wbuf *w)
{
    uint64_t *lens = malloc((d->count > 0 ? d->count : 1) * sizeof(*lens));
    if (lens == NULL) return CS_ENOMEM;
    for (size_t e = 0; e < d->count; e++) {
        size_t len;
        (void)str_at(in->c, d->first[e], &len);
        lens[e] = len;
    }
    const unsigned wl = cs_bitpack_width(d->max_len);
    cs_wbuf_u32(w, (uint32_t)d->count);
    cs_wbuf_u8(w, (uint8_t)wl);
    cs_wbuf_packed(w, lens, d->count, wl, 0);
    for (size_t e = 0; e < d->count; e++) {
        size_t len;
        const char *s = str_at(in->c, d->first[e], &len);
        cs_wbuf_put(w, s, len);
    }
    const unsigned wc = cs_bitpack_width(d->count - 1);
    cs_wbuf_u8(w, (uint8_t)wc);
    cs_wbuf_packed(w, d->codes, in->rows, wc, 0);
    free(lens);
    return CS_OK;
}

static int
put_plain(const struct cs_enc_in *in, const uint64_t *lens, uint64_t max_len, struct cs_wbuf *w)
{
    const unsigned wl = cs_bitpack_width(max_len);
    cs_wbuf_u8(w, (uint8_t)wl);
    cs_wbuf_packed(w, lens, in->rows, wl, 0);
    for (size_t i = 0; i < in->rows; i++) {
        size_t len;
        const char *s = str_at(in->c, i, &len);
        if (lens[i] != 0) cs_wbuf_put(w, s, len);
    }
    return CS_OK;
}

int cs_codec_encode_str(const struct cs_enc_in *in,
                        struct cs_wbuf *w,
                        uint8_t *codec,
                        struct cs_error *err)
{
    const size_t n = in->rows;
    if (n == in->null_count) {
        if (in->force != CS_CODEC_AUTO && in->force != CS_CODEC_EMPTY)
            return cs_error_set(err, CS_EINVAL, "codec %d cannot encode an all-NULL column",
                                in->force);
        *codec = CS_CODEC_EMPTY;
        return CS_OK;
    }
    if (in->force != CS_CODEC_AUTO && in->force != CS_CODEC_STR_PLAIN &&
        in->force != CS_CODEC_STR_DICT)
        return cs_error_set(err, CS_EINVAL, "codec %d cannot encode text values", in->force);
    uint64_t *lens = malloc(n * sizeof(*lens));
    if (lens == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t total = 0, max_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        (void)str_at(in->c, i, &len);
        lens[i] = in->nulls != NULL && in->nulls[i] ? 0 : len;
        total += lens[i];
        max_len = lens[i] > max_len ? lens[i] : max_len;
    }
    const size_t plain = 1 + cs_bitpack_bytes(n, cs_bitpack_width(max_len)) + (size_t)total;
    struct dict d;
    bool oom = false, have_dict = false;
    if (in->force != CS_CODEC_STR_PLAIN) {
        size_t limit = in->force == CS_CODEC_STR_DICT ? n : n / 2 + 1;
        limit = limit > DICT_MAX_ENTRIES && in->force == CS_CODEC_AUTO ? DICT_MAX_ENTRIES : limit;
        have_dict = dict_build(in, limit, &d, &oom);
    }
    int rc = oom ? CS_ENOMEM : CS_OK;
    if (rc == CS_OK && have_dict && (in->force == CS_CODEC_STR_DICT || dict_size(&d, n) < plain)) {
        *codec = CS_CODEC_STR_DICT;
        rc = put_dict(in, &d, w);
    } else if (rc == CS_OK) {
        *codec = CS_CODEC_STR_PLAIN;
        rc = put_plain(in, lens, max_len, w);
    }
    if (have_dict) dict_free(&d);
    free(lens);
    if (rc != CS_OK) return cs_error_set(err, CS_ENOMEM, "out of memory");
    return CS_OK;
}

static int str_corrupt(struct cs_error *err, const char *what)
{
    return cs_error_set(err, CS_ECORRUPT, "text values: %s", what);
}

/* Lengths in off[1..rows] become offsets: off[i + 1] = off[i] + length of row i. */
static int
lengths_to_offsets(uint64_t *off, size_t rows, const uint8_t *nulls, struct cs_error *err)
{
    off[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        if (nulls != NULL && nulls[i] && off[i + 1] != 0)
            return str_corrupt(err, "a NULL row has a length");
        off[i + 1] += off[i];
    }
    if (off[rows] > CS_MAX_SEGMENT_BYTES) return str_corrupt(err, "strings too large");
    return CS_OK;
}

static int decode_plain(
    struct cs_rbuf *r, size_t rows, const uint8_t *nulls, struct cs_col *out, struct cs_error *err)
{
    uint8_t wl = 0;
    if (!cs_rbuf_u8(r, &wl)) return str_corrupt(err, "end early");
    if (wl > 32) return str_corrupt(err, "length width over 32 bits");
    const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(rows, wl));
    if (p == NULL) return str_corrupt(err, "end early");
    cs_bitpack_unpack(p, rows, wl, 0, out->off + 1);
    int rc = lengths_to_offsets(out->off, rows, nulls, err);
    if (rc != CS_OK) return rc;
    const size_t total = (size_t)out->off[rows];
    const uint8_t *bytes = cs_rbuf_take(r, total);
    if (bytes == NULL) return str_corrupt(err, "string bytes end early");
    if (!cs_col_reserve(out, rows, total)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (total > 0) memcpy(out->data, bytes, total);
    out->data_len = total;
    return CS_OK;
}

/* The dictionary: entry e is dict[doff[e] .. doff[e + 1]). */
static int read_dict(struct cs_rbuf *r,
                     size_t rows,
                     uint64_t **doff_out,
                     const uint8_t **dict,
                     size_t *count_out,
                     struct cs_error *err)
{
    uint32_t count = 0;
    uint8_t wl = 0;
    if (!cs_rbuf_u32(r, &count) || !cs_rbuf_u8(r, &wl)) return str_corrupt(err, "end early");
    if (count == 0 || count > rows) return str_corrupt(err, "dictionary size out of range");
    if (wl > 32) return str_corrupt(err, "dictionary length width over 32 bits");
    const uint8_t *p = cs_rbuf_take(r, cs_bitpack_bytes(count, wl));
    if (p == NULL) return str_corrupt(err, "dictionary ends early");
    uint64_t *doff = malloc(((size_t)count + 2) * sizeof(*doff)); /* + the NULL entry */
    if (doff == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_bitpack_unpack(p, count, wl, 0, doff + 1);
    doff[0] = 0;
    for (size_t e = 0; e < count; e++)
        doff[e + 1] += doff[e];
    *dict = cs_rbuf_take(r, (size_t)doff[count]);
    if (doff[count] > CS_MAX_SEGMENT_BYTES || *dict == NULL) {
        free(doff);
        return str_corrupt(err, "dictionary bytes end early");
    }
    *doff_out = doff;
    *count_out = count;
    return CS_OK;
}

/* Rows from their dictionary codes (packed at width wc). Codes land in off[1..rows]; a first
 * pass checks them, sends NULL rows to the empty entry `count` and sizes the bytes; a second
 * replaces each code by its row's end offset (reading off[i + 1] before writing it). Entries
 * of up to 16 bytes are copied as 16 fixed bytes from a padded copy of the dictionary into
 * data reserved 16 bytes long. */
static int expand_codes(const uint8_t *p,
                        unsigned wc,
                        uint64_t *doff,
                        const uint8_t *dict,
                        size_t count,
                        size_t rows,
                        const uint8_t *nulls,
                        struct cs_col *out,
                        struct cs_error *err)
{
    uint64_t *off = out->off;
    cs_bitpack_unpack(p, rows, wc, 0, off + 1);
    doff[count + 1] = doff[count];
    uint64_t total = 0;
    for (size_t i = 0; i < rows; i++) {
        if (off[i + 1] >= count) return str_corrupt(err, "dictionary code out of range");
        if (nulls != NULL) off[i + 1] = nulls[i] ? count : off[i + 1];
        total += doff[off[i + 1] + 1] - doff[off[i + 1]];
    }
    if (total > CS_MAX_SEGMENT_BYTES) return str_corrupt(err, "strings too large");
    uint8_t *padded = malloc((size_t)doff[count] + 16);
    if (padded == NULL || !cs_col_reserve(out, rows, (size_t)total + 16)) {
        free(padded);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    memcpy(padded, dict, (size_t)doff[count]);
    memset(padded + doff[count], 0, 16);
    char *data = out->data;
    uint64_t pos = 0; /* kept in a register: stores through data (char) alias off */
    off[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        const uint64_t code = off[i + 1], from = doff[code];
        const size_t len = (size_t)(doff[code + 1] - from);
        if (len <= 16)
            memcpy(data + pos, padded + from, 16);
        else
            memcpy(data + pos, padded + from, len);
        pos += len;
        off[i + 1] = pos;
    }
    out->data_len = (size_t)total;
    free(padded);
    return CS_OK;
}

static int decode_dict(
    struct cs_rbuf *r, size_t rows, const uint8_t *nulls, struct cs_col *out, struct cs_error *err)
{
    uint64_t *doff = NULL;
    const uint8_t *dict = NULL;
    size_t count = 0;
    int rc = read_dict(r, rows, &doff, &dict, &count, err);
    if (rc != CS_OK) return rc;
    uint8_t wc = 0;
    const uint8_t *p = NULL;
    if (!cs_rbuf_u8(r, &wc) || wc > 32 ||
        (p = cs_rbuf_take(r, cs_bitpack_bytes(rows, wc))) == NULL) {
        free(doff);
        return str_corrupt(err, "dictionary codes end early or are wider than 32 bits");
    }
    rc = expand_codes(p, wc, doff, dict, count, rows, nulls, out, err);
    free(doff);
    return rc;
}

int cs_codec_decode_str(struct cs_rbuf *r,
                        int codec,
                        size_t rows,
                        const uint8_t *nulls,
                        struct cs_col *out,
                        struct cs_error *err)
{
    switch (codec) {
    case CS_CODEC_EMPTY:
        for (size_t i = 0; i <= rows; i++)
            out->off[i] = 0;
        out->data_len = 0;
        return CS_OK;
    case CS_CODEC_STR_PLAIN:
        return decode_plain(r, rows, nulls, out, err);
    case CS_CODEC_STR_DICT:
        return decode_dict(r, rows, nulls, out, err);
    default:
        return cs_error_set(err, CS_ECORRUPT, "codec %d is not a text codec", codec);
    }
}

int cs_codec_encode_fix16(const struct cs_enc_in *in,
                          struct cs_wbuf *w,
                          uint8_t *codec,
                          struct cs_error *err)
{
    const size_t n = in->rows;
    int chosen = in->force;
    if (chosen == CS_CODEC_AUTO)
        chosen = n == in->null_count ? CS_CODEC_EMPTY : CS_CODEC_FIX16_PLAIN;
    if (chosen == CS_CODEC_EMPTY && n != in->null_count)
        return cs_error_set(err, CS_EINVAL, "empty codec: some rows are not NULL");
    if (chosen != CS_CODEC_EMPTY && chosen != CS_CODEC_FIX16_PLAIN)
        return cs_error_set(err, CS_EINVAL, "codec %d cannot encode 16-byte values", chosen);
    if (chosen == CS_CODEC_FIX16_PLAIN) {
        uint8_t *p = cs_wbuf_reserve(w, 16 * n);
        if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        memcpy(p, in->c->fix16, 16 * n);
        for (size_t i = 0; in->nulls != NULL && i < n; i++) {
            if (in->nulls[i]) memset(p + 16 * i, 0, 16);
        }
        w->len += 16 * n;
    }
    *codec = (uint8_t)chosen;
    return CS_OK;
}

int cs_codec_decode_fix16(struct cs_rbuf *r,
                          int codec,
                          size_t rows,
                          const uint8_t *nulls,
                          struct cs_col *out,
                          struct cs_error *err)
{
    if (codec == CS_CODEC_EMPTY) {
        if (rows > 0) memset(out->fix16, 0, 16 * rows);
        return CS_OK;
    }
    if (codec != CS_CODEC_FIX16_PLAIN)
        return cs_error_set(err, CS_ECORRUPT, "codec %d is not a 16-byte codec", codec);
    const uint8_t *p = cs_rbuf_take(r, 16 * rows);
    if (p == NULL) return cs_error_set(err, CS_ECORRUPT, "16-byte values end early");
    if (rows > 0) memcpy(out->fix16, p, 16 * rows);
    for (size_t i = 0; nulls != NULL && i < rows; i++) {
        if (nulls[i]) memset(out->fix16 + 16 * i, 0, 16);
    }
    return CS_OK;
}
