/*
 * The byte buffers the codecs write to and read from: a growable writer that fails once (and
 * stays failed) instead of returning an error at every append, and a bounded reader whose
 * every take checks that the bytes are there.
 */
#include "storage/codec.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"

uint8_t *cs_wbuf_reserve(struct cs_wbuf *w, size_t more)
{
    if (w->failed) return NULL;
    if (more > CS_MAX_SEGMENT_BYTES || w->len + more > CS_MAX_SEGMENT_BYTES) {
        w->failed = true;
        w->too_large = true;
        return NULL;
    }
    const size_t need = w->len + more;
    if (need > w->cap) {
        size_t cap = w->cap < 256 ? 256 : w->cap;
        while (cap < need)
            cap *= 2;
        uint8_t *p = realloc(w->p, cap);
        if (p == NULL) {
            w->failed = true;
            return NULL;
        }
        w->p = p;
        w->cap = cap;
    }
    return w->p + w->len;
}

void cs_wbuf_put(struct cs_wbuf *w, const void *src, size_t n)
{
    uint8_t *d = cs_wbuf_reserve(w, n);
    if (d == NULL) return;
    if (n > 0) memcpy(d, src, n);
    w->len += n;
}

void cs_wbuf_u8(struct cs_wbuf *w, uint8_t v)
{
    cs_wbuf_put(w, &v, 1);
}

void cs_wbuf_u32(struct cs_wbuf *w, uint32_t v)
{
    uint8_t b[4];
    cs_store_u32le(b, v);
    cs_wbuf_put(w, b, 4);
}

void cs_wbuf_u64(struct cs_wbuf *w, uint64_t v)
{
    uint8_t b[8];
    cs_store_u64le(b, v);
    cs_wbuf_put(w, b, 8);
}

void cs_wbuf_packed(struct cs_wbuf *w, const uint64_t *in, size_t n, unsigned width, uint64_t base)
{
    const size_t bytes = cs_bitpack_bytes(n, width);
    uint8_t *d = cs_wbuf_reserve(w, bytes);
    if (d == NULL) return;
    cs_bitpack_pack(in, n, width, base, d);
    w->len += bytes;
}

const uint8_t *cs_rbuf_take(struct cs_rbuf *r, size_t n)
{
    if (n > r->len - r->pos) return NULL;
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

bool cs_rbuf_u8(struct cs_rbuf *r, uint8_t *v)
{
    const uint8_t *p = cs_rbuf_take(r, 1);
    if (p == NULL) return false;
    *v = p[0];
    return true;
}

bool cs_rbuf_u32(struct cs_rbuf *r, uint32_t *v)
{
    const uint8_t *p = cs_rbuf_take(r, 4);
    if (p == NULL) return false;
    *v = cs_load_u32le(p);
    return true;
}

bool cs_rbuf_u64(struct cs_rbuf *r, uint64_t *v)
{
    const uint8_t *p = cs_rbuf_take(r, 8);
    if (p == NULL) return false;
    *v = cs_load_u64le(p);
    return true;
}
