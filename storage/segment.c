/*
 * Column segments (storage/segment.h): the 64-byte header, the validity bitmap, LZ4 and the
 * xxHash (XXH3, 64 bits) checksum around the value codecs of storage/codec_*.c.
 *
 * A segment is header + payload; the payload is LZ4 block data or stored as is, and once
 * decompressed is [validity bitmap] [value section of the codec]. Every field is validated
 * before use. Byte layout and rules: docs/storage-segments.md.
 */
#include "storage/segment.h"

#include <assert.h>
#include <lz4.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"
#include "storage/codec.h"
#include "storage/hash.h"

#define SEG_VERSION     1
#define SEG_HEADER_SIZE 64
static const uint8_t SEG_MAGIC[8] = {'C', 'S', 'S', 'E', 'G', 0, 0, 0};

/* The header as it sits on disk (little-endian, no padding); serialized field by field. */
struct cs_seg_header {
    uint8_t magic[8];
    uint64_t checksum; /* XXH3_64bits of bytes [16, 64 + stored_size) */
    uint16_t version;
    uint8_t kind;        /* enum cs_kind */
    uint8_t type;        /* enum cs_type of the column */
    uint8_t codec;       /* enum cs_codec */
    uint8_t compression; /* enum cs_compression */
    uint16_t reserved0;  /* 0 */
    uint32_t rows;
    uint32_t null_count;
    int64_t min;
    int64_t max;
    uint32_t raw_size;    /* payload bytes after decompression */
    uint32_t stored_size; /* payload bytes in the segment */
    uint64_t reserved1;   /* 0 */
};
_Static_assert(sizeof(struct cs_seg_header) == SEG_HEADER_SIZE, "segment header is 64 bytes");
_Static_assert(offsetof(struct cs_seg_header, version) == 16, "checksummed part starts at 16");
_Static_assert(offsetof(struct cs_seg_header, rows) == 24, "rows at 24");
_Static_assert(offsetof(struct cs_seg_header, raw_size) == 48, "sizes at 48");

static void header_store(const struct cs_seg_header *h, uint8_t *p)
{
    memcpy(p, h->magic, 8);
    cs_store_u64le(p + 8, h->checksum);
    p[16] = (uint8_t)h->version;
    p[17] = (uint8_t)(h->version >> 8);
    p[18] = h->kind;
    p[19] = h->type;
    p[20] = h->codec;
    p[21] = h->compression;
    p[22] = (uint8_t)h->reserved0;
    p[23] = (uint8_t)(h->reserved0 >> 8);
    cs_store_u32le(p + 24, h->rows);
    cs_store_u32le(p + 28, h->null_count);
    cs_store_u64le(p + 32, (uint64_t)h->min);
    cs_store_u64le(p + 40, (uint64_t)h->max);
    cs_store_u32le(p + 48, h->raw_size);
    cs_store_u32le(p + 52, h->stored_size);
    cs_store_u64le(p + 56, h->reserved1);
}

static void header_load(const uint8_t *p, struct cs_seg_header *h)
{
    memcpy(h->magic, p, 8);
    h->checksum = cs_load_u64le(p + 8);
    h->version = (uint16_t)(p[16] | p[17] << 8);
    h->kind = p[18];
    h->type = p[19];
    h->codec = p[20];
    h->compression = p[21];
    h->reserved0 = (uint16_t)(p[22] | p[23] << 8);
    h->rows = cs_load_u32le(p + 24);
    h->null_count = cs_load_u32le(p + 28);
    h->min = (int64_t)cs_load_u64le(p + 32);
    h->max = (int64_t)cs_load_u64le(p + 40);
    h->raw_size = cs_load_u32le(p + 48);
    h->stored_size = cs_load_u32le(p + 52);
    h->reserved1 = cs_load_u64le(p + 56);
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case CS_K_I64:
        return "i64";
    case CS_K_BOOL:
        return "bool";
    case CS_K_STR:
        return "text";
    case CS_K_FIX16:
        return "16-byte";
    default:
        return "unknown";
    }
}

static bool codec_fits_kind(int codec, int kind)
{
    switch (codec) {
    case CS_CODEC_EMPTY:
        return true;
    case CS_CODEC_I64_CONST:
    case CS_CODEC_I64_FOR:
    case CS_CODEC_I64_DELTA:
    case CS_CODEC_I64_PFOR:
    case CS_CODEC_I64_DELTA_PFOR:
        return kind == CS_K_I64;
    case CS_CODEC_BOOL_CONST:
    case CS_CODEC_BOOL_BITS:
        return kind == CS_K_BOOL;
    case CS_CODEC_STR_PLAIN:
    case CS_CODEC_STR_DICT:
        return kind == CS_K_STR;
    case CS_CODEC_FIX16_PLAIN:
        return kind == CS_K_FIX16;
    default:
        return false;
    }
}

/* Zone map rules: min <= max over the non-NULL values (0/1 for bool), both 0 otherwise. */
static const char *stats_problem(const struct cs_seg_header *h)
{
    const bool has_values = h->rows > h->null_count;
    if (!has_values || h->kind == CS_K_STR || h->kind == CS_K_FIX16)
        return h->min == 0 && h->max == 0 ? NULL : "min/max set without values";
    if (h->min > h->max) return "min greater than max";
    if (h->kind == CS_K_BOOL && (h->min < 0 || h->max > 1)) return "bool min/max not 0 or 1";
    return NULL;
}

/* payload_floor() - the fewest payload bytes h's rows need: a validity bitmap when some (not
 * all) rows are NULL, and the codecs that store every row (a bit or 16 bytes each). A segment
 * claiming more rows than its payload can hold is refused before anything is allocated for
 * them; codecs that store no bytes per row (constants, width-0 packing) are bounded by the
 * row count the caller expects (cs_seg_decode_rows(), the store's manifest). */
static uint64_t payload_floor(const struct cs_seg_header *h)
{
    const uint64_t rows = h->rows;
    uint64_t n = h->null_count > 0 && h->null_count < rows ? (rows + 7) / 8 : 0;
    if (h->codec == CS_CODEC_BOOL_BITS) n += (rows + 7) / 8;
    if (h->codec == CS_CODEC_FIX16_PLAIN) n += 16 * rows;
    return n;
}

/* Everything in the header that can be checked without the payload: the problem, or NULL. */
static const char *header_problem(const struct cs_seg_header *h, char *buf, size_t size)
{
    if (h->version != SEG_VERSION) {
        (void)snprintf(buf, size, "unsupported segment format version %u", h->version);
        return buf;
    }
    if (h->kind < CS_K_I64 || h->kind > CS_K_FIX16) return "unknown value kind";
    if (h->type < CS_TY_INT4 || h->type > CS_TY_HASH16 || cs_type_kind(h->type) != h->kind)
        return "column type does not match the value kind";
    if (!codec_fits_kind(h->codec, h->kind)) return "unknown codec for the value kind";
    if (h->reserved0 != 0 || h->reserved1 != 0) return "reserved header bytes are not zero";
    if (h->rows > CS_MAX_PARTITION_ROWS) return "row count over the limit";
    if (h->null_count > h->rows) return "more NULLs than rows";
    if ((h->codec == CS_CODEC_EMPTY) != (h->rows == h->null_count))
        return "empty codec does not match the NULL count";
    if (h->raw_size > CS_MAX_SEGMENT_BYTES || h->stored_size > CS_MAX_SEGMENT_BYTES)
        return "payload size over the limit";
    if (h->compression == CS_COMP_NONE && h->raw_size != h->stored_size)
        return "uncompressed payload with two different sizes";
    if (h->compression == CS_COMP_LZ4 &&
        (h->stored_size == 0 || h->raw_size > (uint64_t)h->stored_size * 255 + 64))
        return "impossible lz4 payload sizes";
    if (h->compression > CS_COMP_LZ4) return "unknown compression";
    if (h->raw_size < payload_floor(h)) return "more rows than the payload can hold";
    return stats_problem(h);
}

static const char *name_of(const char *file)
{
    return file != NULL ? file : "segment";
}

static uint64_t seg_checksum(const uint8_t *buf, size_t len)
{
    return cs_seg_hash(buf + 16, len - 16);
}

/* Header of buf[0..len) loaded and checked; with `whole`, the size and checksum too. */
static int load_checked(const uint8_t *buf,
                        size_t len,
                        bool whole,
                        bool verify,
                        struct cs_seg_header *h,
                        const char *file,
                        struct cs_error *err)
{
    if (buf == NULL || len < SEG_HEADER_SIZE)
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: truncated: %zu bytes, shorter than the "
                            "64-byte segment header",
                            name_of(file), buf == NULL ? 0 : len);
    header_load(buf, h);
    if (memcmp(h->magic, SEG_MAGIC, 8) != 0)
        return cs_error_set(err, CS_ECORRUPT, "%s: not a column segment (bad magic)",
                            name_of(file));
    if (whole && len - SEG_HEADER_SIZE != h->stored_size)
        return cs_error_set(err, CS_ECORRUPT, "%s: %s: %zu bytes, header says %llu", name_of(file),
                            len < SEG_HEADER_SIZE + (size_t)h->stored_size ? "truncated"
                                                                           : "trailing bytes",
                            len, (unsigned long long)h->stored_size + SEG_HEADER_SIZE);
    if (whole && verify && seg_checksum(buf, len) != h->checksum)
        return cs_error_set(err, CS_ECORRUPT, "%s: checksum mismatch", name_of(file));
    char msg[96];
    const char *problem = header_problem(h, msg, sizeof(msg));
    if (problem != NULL) return cs_error_set(err, CS_ECORRUPT, "%s: %s", name_of(file), problem);
    return CS_OK;
}

int cs_seg_check(const uint8_t *buf, size_t len, const char *file, struct cs_error *err)
{
    struct cs_seg_header h;
    return load_checked(buf, len, true, true, &h, file, err);
}

int cs_seg_read_stats(const uint8_t *buf,
                      size_t len,
                      struct cs_seg_stats *out,
                      const char *file,
                      struct cs_error *err)
{
    struct cs_seg_header h;
    int rc = load_checked(buf, len, false, false, &h, file, err);
    if (rc != CS_OK) return rc;
    out->rows = h.rows;
    out->null_count = h.null_count;
    out->min = h.min;
    out->max = h.max;
    return CS_OK;
}

int cs_seg_rows_claim(
    const uint8_t *buf, size_t len, uint32_t rows, const char *file, struct cs_error *err)
{
    struct cs_seg_header h;
    int rc = load_checked(buf, len, false, false, &h, file, err);
    if (rc == CS_OK && h.rows != rows)
        rc = cs_error_set(err, CS_ECORRUPT, "%s: segment has %u rows, not %u", name_of(file),
                          h.rows, rows);
    return rc;
}

_Static_assert(CS_SEG_HEADER_SIZE == SEG_HEADER_SIZE, "segment.h says the header's size");

int cs_seg_read_layout(const uint8_t *buf,
                       size_t len,
                       struct cs_seg_layout *out,
                       const char *file,
                       struct cs_error *err)
{
    struct cs_seg_header h;
    int rc = load_checked(buf, len, false, false, &h, file, err);
    if (rc != CS_OK) return rc;
    out->codec = h.codec;
    out->lz4 = h.compression == CS_COMP_LZ4;
    out->rows = h.rows;
    out->null_count = h.null_count;
    out->raw_size = h.raw_size;
    out->stored_size = h.stored_size;
    return CS_OK;
}

const char *cs_seg_codec_name(int codec)
{
    /* the names docs/storage-segments.md uses; `colquery info TABLE` prints them */
    static const char *const names[CS_CODEC_MAX + 1] = {
        [CS_CODEC_EMPTY] = "empty",
        [CS_CODEC_I64_CONST] = "const",
        [CS_CODEC_I64_FOR] = "for",
        [CS_CODEC_I64_DELTA] = "delta",
        [CS_CODEC_BOOL_CONST] = "const",
        [CS_CODEC_BOOL_BITS] = "bits",
        [CS_CODEC_STR_PLAIN] = "plain",
        [CS_CODEC_STR_DICT] = "dict",
        [CS_CODEC_FIX16_PLAIN] = "fix16",
        [CS_CODEC_I64_PFOR] = "pfor",
        [CS_CODEC_I64_DELTA_PFOR] = "delta-pfor",
    };
    return codec > 0 && codec <= CS_CODEC_MAX && names[codec] != NULL ? names[codec] : "?";
}

int cs_seg_codec(const uint8_t *buf, size_t len)
{
    return len >= SEG_HEADER_SIZE ? buf[20] : 0;
}

int cs_seg_compression(const uint8_t *buf, size_t len)
{
    return len >= SEG_HEADER_SIZE ? buf[21] : -1;
}

/* ------------------------------------------------------------------------------ encoding */

static size_t count_nulls(const struct cs_col *c)
{
    size_t n = 0;
    for (size_t i = 0; c->nulls != NULL && i < c->len; i++)
        n += c->nulls[i] != 0;
    return n;
}

static void put_bitmap(struct cs_wbuf *w, const uint8_t *nulls, size_t rows)
{
    uint8_t *p = cs_wbuf_reserve(w, (rows + 7) / 8);
    if (p == NULL) return;
    cs_bytes_to_bits(nulls, NULL, rows, p);
    w->len += (rows + 7) / 8;
}

static int encode_values(const struct cs_enc_in *in,
                         struct cs_wbuf *w,
                         uint8_t *codec,
                         struct cs_seg_stats *stats,
                         struct cs_error *err)
{
    switch (in->c->kind) {
    case CS_K_I64:
        return cs_codec_encode_i64(in, w, codec, stats, err);
    case CS_K_BOOL:
        return cs_codec_encode_bool(in, w, codec, stats, err);
    case CS_K_STR:
        return cs_codec_encode_str(in, w, codec, err);
    case CS_K_FIX16:
        return cs_codec_encode_fix16(in, w, codec, err);
    default:
        return cs_error_set(err, CS_EINVAL, "unknown column kind %d", in->c->kind);
    }
}

/* Replace w's payload (after the header) by its LZ4 form when `mode` asks for it or it saves
 * at least 1/8. Returns false when memory runs out. */
static bool maybe_compress(struct cs_wbuf *w, int mode, uint8_t *compression)
{
    const size_t raw = w->len - SEG_HEADER_SIZE;
    *compression = CS_COMP_NONE;
    if (mode < 0 || raw == 0) return true;
    const int bound = LZ4_compressBound((int)raw);
    uint8_t *p = malloc(SEG_HEADER_SIZE + (size_t)bound);
    if (p == NULL) return false;
    const int n = LZ4_compress_default((const char *)w->p + SEG_HEADER_SIZE,
                                       (char *)p + SEG_HEADER_SIZE, (int)raw, bound);
    if (n > 0 && (mode > 0 || (size_t)n <= raw - raw / 8)) {
        free(w->p);
        w->p = p;
        w->len = SEG_HEADER_SIZE + (size_t)n;
        w->cap = SEG_HEADER_SIZE + (size_t)bound;
        *compression = CS_COMP_LZ4;
        return true;
    }
    free(p);
    return true;
}

static int check_encodable(const struct cs_col *c, int type, struct cs_error *err)
{
    if (type < CS_TY_INT4 || type > CS_TY_HASH16 || cs_type_kind(type) != c->kind)
        return cs_error_set(err, CS_EINVAL, "column of kind %s cannot have type %d",
                            kind_name(c->kind), type);
    if (c->len > CS_MAX_PARTITION_ROWS)
        return cs_error_set(err, CS_EINVAL, "%zu rows: a segment holds at most %u", c->len,
                            CS_MAX_PARTITION_ROWS);
    if (c->kind == CS_K_STR && c->len > 0 && c->off[c->len] > CS_MAX_SEGMENT_BYTES)
        return cs_error_set(err, CS_EINVAL, "%llu bytes of text: a segment holds at most %u",
                            (unsigned long long)c->off[c->len], CS_MAX_SEGMENT_BYTES);
    return CS_OK;
}

int cs_seg_encode_opt(const struct cs_col *c,
                      int type,
                      const struct cs_seg_encode_opts *opts,
                      uint8_t **out,
                      size_t *out_len,
                      struct cs_seg_stats *stats,
                      struct cs_error *err)
{
    *out = NULL;
    *out_len = 0;
    int rc = check_encodable(c, type, err);
    if (rc != CS_OK) return rc;
    const size_t nulls = count_nulls(c);
    struct cs_enc_in in = {c, nulls > 0 ? c->nulls : NULL, c->len, nulls, opts->codec};
    struct cs_seg_header h = {.version = SEG_VERSION,
                              .kind = c->kind,
                              .type = (uint8_t)type,
                              .rows = (uint32_t)c->len,
                              .null_count = (uint32_t)nulls};
    memcpy(h.magic, SEG_MAGIC, 8);
    struct cs_seg_stats st = {(uint32_t)c->len, (uint32_t)nulls, 0, 0};

    struct cs_wbuf w = {0};
    (void)cs_wbuf_reserve(&w, SEG_HEADER_SIZE);
    w.len = w.failed ? 0 : SEG_HEADER_SIZE;
    if (nulls > 0 && nulls < c->len) put_bitmap(&w, c->nulls, c->len);
    if (!w.failed) rc = encode_values(&in, &w, &h.codec, &st, err);
    if (rc == CS_OK && w.failed)
        rc = w.too_large ? cs_error_set(err, CS_EINVAL, "encoded column over %u bytes",
                                        CS_MAX_SEGMENT_BYTES)
                         : cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK) {
        h.raw_size = (uint32_t)(w.len - SEG_HEADER_SIZE);
        if (!maybe_compress(&w, opts->compression, &h.compression))
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    if (rc != CS_OK) {
        free(w.p);
        return rc;
    }
    h.stored_size = (uint32_t)(w.len - SEG_HEADER_SIZE);
    h.min = st.min;
    h.max = st.max;
#ifndef NDEBUG
    char msg[96];
    assert(header_problem(&h, msg, sizeof(msg)) == NULL);
#endif
    header_store(&h, w.p);
    h.checksum = seg_checksum(w.p, w.len);
    cs_store_u64le(w.p + 8, h.checksum);

    uint8_t *shrunk = realloc(w.p, w.len);
    *out = shrunk != NULL ? shrunk : w.p;
    *out_len = w.len;
    if (stats != NULL) *stats = st;
    return CS_OK;
}

int cs_seg_encode(const struct cs_col *c,
                  int type,
                  uint8_t **out,
                  size_t *out_len,
                  struct cs_seg_stats *stats,
                  struct cs_error *err)
{
    const struct cs_seg_encode_opts opts = {CS_CODEC_AUTO, 0};
    return cs_seg_encode_opt(c, type, &opts, out, out_len, stats, err);
}

/* ------------------------------------------------------------------------------ decoding */

/* The NULL byte map of out from the payload's bitmap (or all NULL); sets out->nulls. */
static int decode_nulls(struct cs_rbuf *r,
                        const struct cs_seg_header *h,
                        struct cs_col *out,
                        struct cs_error *err)
{
    const size_t rows = h->rows;
    if (h->null_count == 0) return CS_OK;
    out->nulls = malloc(out->cap);
    if (out->nulls == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (h->null_count == rows) {
        memset(out->nulls, 1, rows);
        return CS_OK;
    }
    const uint8_t *p = cs_rbuf_take(r, (rows + 7) / 8);
    if (p == NULL) return cs_error_set(err, CS_ECORRUPT, "validity bitmap ends early");
    if ((rows & 7) != 0 && (p[rows >> 3] >> (rows & 7)) != 0)
        return cs_error_set(err, CS_ECORRUPT, "validity bitmap has bits set past the last row");
    const size_t n = cs_bits_to_bytes(p, rows, out->nulls);
    if (n != h->null_count)
        return cs_error_set(err, CS_ECORRUPT, "validity bitmap has %zu NULLs, header says %u", n,
                            h->null_count);
    return CS_OK;
}

static int decode_payload(const uint8_t *payload,
                          const struct cs_seg_header *h,
                          struct cs_col *out,
                          struct cs_error *err)
{
    struct cs_rbuf r = {payload, h->raw_size, 0};
    int rc = decode_nulls(&r, h, out, err);
    if (rc != CS_OK) return rc;
    const uint8_t *nulls = out->nulls;
    switch (h->kind) {
    case CS_K_I64:
        rc = cs_codec_decode_i64(&r, h->codec, h->rows, nulls, out, err);
        break;
    case CS_K_BOOL:
        rc = cs_codec_decode_bool(&r, h->codec, h->rows, nulls, out, err);
        break;
    case CS_K_STR:
        rc = cs_codec_decode_str(&r, h->codec, h->rows, nulls, out, err);
        break;
    default:
        rc = cs_codec_decode_fix16(&r, h->codec, h->rows, nulls, out, err);
        break;
    }
    if (rc == CS_OK && r.pos != r.len)
        rc = cs_error_set(err, CS_ECORRUPT, "%zu bytes left after the values", r.len - r.pos);
    return rc;
}

int cs_seg_decode(
    const uint8_t *buf, size_t len, struct cs_col *out, const char *file, struct cs_error *err)
{
    return cs_seg_decode_rows(buf, len, UINT32_MAX, out, file, err);
}

int cs_seg_decode_rows(const uint8_t *buf,
                       size_t len,
                       uint32_t rows,
                       struct cs_col *out,
                       const char *file,
                       struct cs_error *err)
{
    struct cs_seg_header h;
    int rc = load_checked(buf, len, true, true, &h, file, err);
    if (rc != CS_OK) return rc;
    if (rows != UINT32_MAX && h.rows != rows)
        return cs_error_set(err, CS_ECORRUPT, "%s: segment has %u rows, not %u", name_of(file),
                            h.rows, rows);
    if (out->kind != h.kind)
        return cs_error_set(err, CS_ECORRUPT, "%s: segment holds %s values, the column is %s",
                            name_of(file), kind_name(h.kind), kind_name(out->kind));
    cs_col_reset(out);
    if (!cs_col_reserve(out, h.rows, 0)) return cs_error_set(err, CS_ENOMEM, "out of memory");

    const uint8_t *payload = buf + SEG_HEADER_SIZE;
    uint8_t *tmp = NULL;
    if (h.compression == CS_COMP_LZ4) {
        tmp = malloc(h.raw_size > 0 ? h.raw_size : 1);
        if (tmp == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        const int n = LZ4_decompress_safe((const char *)payload, (char *)tmp, (int)h.stored_size,
                                          (int)h.raw_size);
        if (n < 0 || (uint32_t)n != h.raw_size) {
            free(tmp);
            return cs_error_set(err, CS_ECORRUPT,
                                "%s: lz4 payload does not decompress to %u "
                                "bytes",
                                name_of(file), h.raw_size);
        }
        payload = tmp;
    }
    rc = decode_payload(payload, &h, out, err);
    free(tmp);
    if (rc != CS_OK) {
        cs_col_reset(out);
        if (rc == CS_ECORRUPT) cs_error_prefix(err, "%s", name_of(file));
        return rc;
    }
    out->len = h.rows;
    out->null_count = h.null_count;
    return CS_OK;
}

/* ------------------------------------------------------------------ reading values in place */

void cs_seg_view_init(struct cs_seg_view *v)
{
    memset(v, 0, sizeof(*v));
}

void cs_seg_view_free(struct cs_seg_view *v)
{
    free(v->scratch);
    free(v->words);
    free(v->raw);
    cs_seg_view_init(v);
}

static int view_open(const uint8_t *buf,
                     size_t len,
                     int kind,
                     bool verify,
                     struct cs_seg_view *v,
                     const char *file,
                     struct cs_error *err);

int cs_seg_view_open(const uint8_t *buf,
                     size_t len,
                     int kind,
                     struct cs_seg_view *v,
                     const char *file,
                     struct cs_error *err)
{
    return view_open(buf, len, kind, true, v, file, err);
}

int cs_seg_view_open_trusted(const uint8_t *buf,
                             size_t len,
                             int kind,
                             struct cs_seg_view *v,
                             const char *file,
                             struct cs_error *err)
{
    return view_open(buf, len, kind, false, v, file, err);
}

static int view_open(const uint8_t *buf,
                     size_t len,
                     int kind,
                     bool verify,
                     struct cs_seg_view *v,
                     const char *file,
                     struct cs_error *err)
{
    struct cs_seg_header h;
    int rc = load_checked(buf, len, true, verify, &h, file, err);
    if (rc != CS_OK) return rc;
    if (kind != h.kind)
        return cs_error_set(err, CS_ECORRUPT, "%s: segment holds %s values, the column is %s",
                            name_of(file), kind_name(h.kind), kind_name(kind));
    v->kind = h.kind;
    v->codec = h.codec;
    v->rows = h.rows;
    v->null_count = h.null_count;
    v->null_bits = v->packed = v->dict_bytes = NULL;
    v->decoded = NULL;
    v->dict_off = NULL;
    v->base = 0;
    v->width = 0;
    v->dict_count = 0;
    const uint8_t *payload = buf + SEG_HEADER_SIZE;
    if (h.compression == CS_COMP_LZ4) {
        if (h.raw_size > v->scratch_cap) {
            uint8_t *p = realloc(v->scratch, h.raw_size);
            if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
            v->scratch = p;
            v->scratch_cap = h.raw_size;
        }
        const int n = LZ4_decompress_safe((const char *)payload, (char *)v->scratch,
                                          (int)h.stored_size, (int)h.raw_size);
        if (n < 0 || (uint32_t)n != h.raw_size)
            return cs_error_set(err, CS_ECORRUPT, "%s: lz4 payload does not decompress to %u bytes",
                                name_of(file), h.raw_size);
        payload = v->scratch;
    }
    struct cs_rbuf r = {payload, h.raw_size, 0};
    const size_t rows = h.rows;
    if (h.null_count > 0 && h.null_count < rows) {
        const uint8_t *p = cs_rbuf_take(&r, (rows + 7) / 8);
        if (p == NULL)
            rc = cs_error_set(err, CS_ECORRUPT, "validity bitmap ends early");
        else if ((rows & 7) != 0 && (p[rows >> 3] >> (rows & 7)) != 0)
            rc = cs_error_set(err, CS_ECORRUPT, "validity bitmap has bits set past the last row");
        else if (cs_popcount_bytes(p, (rows + 7) / 8) != h.null_count)
            rc = cs_error_set(err, CS_ECORRUPT, "validity bitmap does not count %u NULLs",
                              h.null_count);
        v->null_bits = p;
    }
    if (rc == CS_OK) rc = cs_codec_view_section(&r, v, err);
    if (rc == CS_OK && r.pos != r.len)
        rc = cs_error_set(err, CS_ECORRUPT, "%zu bytes left after the values", r.len - r.pos);
    if (rc == CS_ECORRUPT) cs_error_prefix(err, "%s", name_of(file));
    return rc;
}
