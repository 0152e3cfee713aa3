/*
 * One column segment: the encoded values of one column of one partition, self-describing
 * and self-checking (header with kind, codec, row count, NULL count, min/max, sizes, and an
 * xxHash64 of everything after the checksum field). Byte layout: docs/storage-format.md.
 *
 * Encoding is chosen per segment by measuring (frame-of-reference + bit-packing, delta for
 * sorted runs, dictionary for low-cardinality text, packed bits for booleans, a validity
 * bitmap for NULLs), then LZ4 when it makes the payload smaller.
 */
#ifndef CS_SEGMENT_H
#define CS_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

/* cs_seg_encode() - encode c (type: enum cs_type of the column) into a new malloc'd buffer
 * *out of *out_len bytes; fills *stats. CS_ENOMEM, or CS_EINVAL for a column too large. */
int cs_seg_encode(const struct cs_col *c,
                  int type,
                  uint8_t **out,
                  size_t *out_len,
                  struct cs_seg_stats *stats,
                  struct cs_error *err);

/* cs_seg_check() - validate header, sizes and checksum of buf[0..len) without decoding.
 * `file` names the file in messages. CS_ECORRUPT on any mismatch. */
int cs_seg_check(const uint8_t *buf, size_t len, const char *file, struct cs_error *err);

/* cs_seg_decode() - validate (as cs_seg_check) and decode buf[0..len) into out (reset first,
 * capacity reused; out->kind must match the segment's kind). Never reads outside buf, never
 * trusts a size from disk. */
int cs_seg_decode(
    const uint8_t *buf, size_t len, struct cs_col *out, const char *file, struct cs_error *err);

/* cs_seg_decode_rows() - cs_seg_decode() of a segment that must hold `rows` rows (UINT32_MAX:
 * any): a different claim is CS_ECORRUPT before anything is allocated for it. */
int cs_seg_decode_rows(const uint8_t *buf,
                       size_t len,
                       uint32_t rows,
                       struct cs_col *out,
                       const char *file,
                       struct cs_error *err);
/* cs_seg_rows_claim() - CS_ECORRUPT unless the segment header in buf[0..len) claims `rows`
 * rows: a view or a decode may then size its buffers by the claim. */
int cs_seg_rows_claim(
    const uint8_t *buf, size_t len, uint32_t rows, const char *file, struct cs_error *err);
/* cs_seg_view_open() - check buf[0..len) as cs_seg_decode() does (but for dictionary codes,
 * checked when read) and open it as v for reading values in place (store.h); its kind must
 * be `kind`. LZ4 payloads are decompressed into v->scratch. */
int cs_seg_view_open(const uint8_t *buf,
                     size_t len,
                     int kind,
                     struct cs_seg_view *v,
                     const char *file,
                     struct cs_error *err);

/* cs_seg_view_open_trusted() - cs_seg_view_open() of bytes whose checksum the caller has
 * already verified (the same bytes of an immutable file): every other check still runs. */
int cs_seg_view_open_trusted(const uint8_t *buf,
                             size_t len,
                             int kind,
                             struct cs_seg_view *v,
                             const char *file,
                             struct cs_error *err);

/* cs_seg_read_stats() - the zone map from a segment's header (header checked, not the body). */
int cs_seg_read_stats(const uint8_t *buf,
                      size_t len,
                      struct cs_seg_stats *out,
                      const char *file,
                      struct cs_error *err);

/* What a segment's header says of its encoding (for `colquery info`, not for reading). */
struct cs_seg_layout {
    int codec; /* enum cs_codec (storage/codec.h) */
    bool lz4;  /* the payload is LZ4-compressed */
    uint32_t rows, null_count;
    uint32_t raw_size;    /* payload bytes before compression */
    uint32_t stored_size; /* payload bytes in the segment (the header's 64 bytes excluded) */
};

/* cs_seg_read_layout() - the layout from a segment's header (buf[0..len), len >= the header's
 * 64 bytes; only the header is read and checked, as cs_seg_read_stats() does). */
int cs_seg_read_layout(const uint8_t *buf,
                       size_t len,
                       struct cs_seg_layout *out,
                       const char *file,
                       struct cs_error *err);

/* cs_seg_codec_name() - a codec's short name ("for", "dict", ...); "?" for an unknown id. */
const char *cs_seg_codec_name(int codec);

/* CS_SEG_HEADER_SIZE - the bytes of a segment's header. */
#define CS_SEG_HEADER_SIZE 64

#endif
