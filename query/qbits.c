/* Packed booleans for the counting kernels (see kernel.h). */
#include <string.h>

#include "query/kernel.h"
#include "storage/codec.h"

bool cs_qbool_is_bits(const struct cs_seg_view *v)
{
    return v->codec == CS_CODEC_BOOL_BITS || v->codec == CS_CODEC_BOOL_CONST ||
           v->codec == CS_CODEC_EMPTY;
}

const uint8_t *
cs_qbool_bits(const struct cs_seg_view *v, bool nulls, size_t off, size_t n, uint8_t *buf)
{
    const size_t bytes = (n + 7) / 8;
    if (nulls) {
        if (v->null_count == 0) return NULL;
        if (v->null_count < v->rows) return v->null_bits + off / 8;
        memset(buf, 0xFF, bytes);
        return buf;
    }
    if (v->codec == CS_CODEC_BOOL_BITS) return v->packed + off / 8;
    memset(buf, v->codec == CS_CODEC_BOOL_CONST && v->base != 0 ? 0xFF : 0, bytes);
    return buf;
}

#define S1(b) ((uint64_t)(b)&1)
#define SPREAD(b)                                                                               \
    (S1(b) | S1((b) >> 1) << 8 | S1((b) >> 2) << 16 | S1((b) >> 3) << 24 | S1((b) >> 4) << 32 | \
     S1((b) >> 5) << 40 | S1((b) >> 6) << 48 | S1((b) >> 7) << 56)
#define SP4(b)  SPREAD(b), SPREAD((b) + 1), SPREAD((b) + 2), SPREAD((b) + 3)
#define SP16(b) SP4(b), SP4((b) + 4), SP4((b) + 8), SP4((b) + 12)
#define SP64(b) SP16(b), SP16((b) + 16), SP16((b) + 32), SP16((b) + 48)
const uint64_t cs_spread8[256] = {SP64(0), SP64(64), SP64(128), SP64(192)};
