/*
 * Patched frame of reference in blocks of CS_PFOR_BLOCK (128) values: the value section of
 * CS_CODEC_I64_PFOR (the values minus the segment's minimum) and of CS_CODEC_I64_DELTA_PFOR
 * (the differences minus their minimum). Each block packs its values at its own width b and
 * lists the few that need more bits as exceptions (position, high bits), so a long tail
 * (latencies, result sizes, gaps between timestamps) costs bits only where it occurs:
 *
 *   u8 b (<= 64), u8 e (<= rows of the block), m values' low b bits packed at b,
 *   when e > 0: u8 hb (1 <= hb <= 64 - b), e positions (u8, strictly increasing, < m),
 *               e high parts packed at hb: value = low | high << b.
 *
 * The writer chooses b per block by measuring the block's bytes for every b. Blocks are
 * whole bytes, so a reader can index them (cs_pfor_walk()) and decode any one alone.
 * Layout and rules: docs/storage-segments.md section 3.
 */
#include "storage/codec.h"

#include <string.h>

/* Bytes of a block of m values at width b with e exceptions whose high parts take hb bits. */
static size_t block_bytes(size_t m, unsigned b, size_t e, unsigned hb)
{
    return 2 + cs_bitpack_bytes(m, b) + (e > 0 ? 1 + e + cs_bitpack_bytes(e, hb) : 0);
}

/* The cheapest width for the m offsets of one block (ties go to the wider: fewer patches).
 * The widths are counted in four histograms of bytes, a row to each in turn: neighbouring
 * rows mostly have the same width, and one counter would make every increment wait for the
 * previous one. */
static unsigned block_width(const uint64_t *v, size_t m, uint64_t base, size_t *bytes)
{
    uint8_t count[4][65]; /* at most 35 rows each */
    memset(count, 0, sizeof(count));
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        for (unsigned k = 0; k < 4; k++) {
            const uint64_t x = v[i + k] - base;
            count[k][(unsigned)(64 - __builtin_clzll(x | 1)) - (unsigned)(x == 0)]++;
        }
    }
    for (; i < m; i++)
        count[0][cs_bitpack_width(v[i] - base)]++;
    size_t total[65];
    unsigned top = 0;
    for (unsigned w = 0; w <= 64; w++) {
        total[w] = (size_t)count[0][w] + count[1][w] + count[2][w] + count[3][w];
        top = total[w] != 0 ? w : top;
    }
    unsigned best_b = top;
    size_t best = block_bytes(m, top, 0, 0), above = 0; /* above: offsets wider than b */
    for (unsigned b = top; b-- > 0;) {
        above += total[b + 1];
        const size_t size = block_bytes(m, b, above, top - b);
        if (size < best) {
            best = size;
            best_b = b;
        }
    }
    *bytes = best;
    return best_b;
}

size_t cs_pfor_plan(const uint64_t *v, size_t n, uint64_t base, uint8_t *widths)
{
    size_t total = 0;
    for (size_t k = 0; k * CS_PFOR_BLOCK < n; k++) {
        const size_t from = k * CS_PFOR_BLOCK;
        const size_t m = n - from < CS_PFOR_BLOCK ? n - from : CS_PFOR_BLOCK;
        size_t bytes = 0;
        widths[k] = (uint8_t)block_width(v + from, m, base, &bytes);
        total += bytes;
    }
    return total;
}

void cs_pfor_put(
    struct cs_wbuf *w, const uint64_t *v, size_t n, uint64_t base, const uint8_t *widths)
{
    uint64_t high[CS_PFOR_BLOCK];
    uint8_t pos[CS_PFOR_BLOCK];
    for (size_t k = 0; k * CS_PFOR_BLOCK < n; k++) {
        const size_t from = k * CS_PFOR_BLOCK;
        const size_t m = n - from < CS_PFOR_BLOCK ? n - from : CS_PFOR_BLOCK;
        const unsigned b = widths[k];
        size_t e = 0;
        uint64_t max_high = 0;
        for (size_t i = 0; b < 64 && i < m; i++) {
            const uint64_t h = (v[from + i] - base) >> b;
            if (h == 0) continue;
            pos[e] = (uint8_t)i;
            high[e++] = h;
            max_high = h > max_high ? h : max_high;
        }
        cs_wbuf_u8(w, (uint8_t)b);
        cs_wbuf_u8(w, (uint8_t)e);
        cs_wbuf_packed(w, v + from, m, b, base); /* the packer keeps the low b bits */
        if (e == 0) continue;
        const unsigned hb = cs_bitpack_width(max_high);
        cs_wbuf_u8(w, (uint8_t)hb);
        cs_wbuf_put(w, pos, e);
        cs_wbuf_packed(w, high, e, hb, 0);
    }
}

/* Block header at r's position checked and consumed; its fields in *b, *e. NULL, or the
 * problem. Reads the bytes in place: this runs once a block in every decode. */
static const char *take_block(struct cs_rbuf *r, size_t m, unsigned *b, unsigned *e)
{
    const uint8_t *p = r->p + r->pos;
    const size_t left = r->len - r->pos;
    if (left < 2) return "i64 blocks end early";
    const unsigned b8 = p[0], e8 = p[1];
    if (b8 > 64) return "i64 block bit width over 64";
    if (e8 > m) return "i64 block has more exceptions than values";
    size_t need = 2 + cs_bitpack_bytes(m, b8);
    if (e8 > 0) {
        if (left < need + 1) return "i64 blocks end early";
        const unsigned hb = p[need];
        if (hb == 0 || hb > 64 - b8) return "i64 block exception width out of range";
        const uint8_t *pos = p + need + 1;
        need += 1 + e8 + cs_bitpack_bytes(e8, hb);
        if (left < need) return "i64 blocks end early";
        for (unsigned j = 1; j < e8; j++) {
            if (pos[j] <= pos[j - 1]) return "i64 block exception positions out of order";
        }
        if (pos[e8 - 1] >= m) return "i64 block exception position past the last value";
    }
    if (left < need) return "i64 blocks end early";
    r->pos += need;
    *b = b8;
    *e = e8;
    return NULL;
}

const char *cs_pfor_walk(struct cs_rbuf *r, size_t n, uint64_t *offsets)
{
    for (size_t k = 0; k * CS_PFOR_BLOCK < n; k++) {
        const size_t m =
            n - k * CS_PFOR_BLOCK < CS_PFOR_BLOCK ? n - k * CS_PFOR_BLOCK : CS_PFOR_BLOCK;
        if (offsets != NULL) offsets[k] = r->pos;
        unsigned b, e;
        const char *problem = take_block(r, m, &b, &e);
        if (problem != NULL) return problem;
    }
    return NULL;
}

void cs_pfor_block_decode(const uint8_t *blk, size_t m, uint64_t base, uint64_t *out)
{
    const unsigned b = blk[0], e = blk[1];
    const uint8_t *low = blk + 2;
    if (m == CS_PFOR_BLOCK)
        cs_bitpack_unpack128(low, b, base, out);
    else
        cs_bitpack_unpack(low, m, b, base, out);
    if (e == 0) return;
    const uint8_t *after = low + cs_bitpack_bytes(m, b);
    const unsigned hb = after[0];
    const uint8_t *pos = after + 1;
    /* The high parts copied with 9 zero bytes after them: each is then one unaligned load
     * (and a ninth byte when it straddles 64 bits), whatever its place in the stream. */
    uint8_t high[CS_PFOR_BLOCK * 8 + 9];
    const size_t high_bytes = cs_bitpack_bytes(e, hb);
    memcpy(high, pos + e, high_bytes);
    memset(high + high_bytes, 0, 9);
    const uint64_t mask = hb == 64 ? ~(uint64_t)0 : (((uint64_t)1 << hb) - 1);
    for (unsigned j = 0; j < e; j++) {
        const uint64_t bit = (uint64_t)j * hb;
        const unsigned s = (unsigned)(bit & 7);
        uint64_t h = cs_load_u64le(high + (bit >> 3)) >> s;
        if (s + hb > 64) h |= (uint64_t)high[(bit >> 3) + 8] << (64 - s);
        out[pos[j]] += (h & mask) << b;
    }
}

const char *cs_pfor_decode(struct cs_rbuf *r, size_t n, uint64_t base, uint64_t *out)
{
    for (size_t k = 0; k * CS_PFOR_BLOCK < n; k++) {
        const size_t from = k * CS_PFOR_BLOCK;
        const size_t m = n - from < CS_PFOR_BLOCK ? n - from : CS_PFOR_BLOCK;
        const uint8_t *blk = r->p + r->pos;
        unsigned b, e;
        const char *problem = take_block(r, m, &b, &e);
        if (problem != NULL) return problem;
        cs_pfor_block_decode(blk, m, base, out + from);
    }
    return NULL;
}

const char *
cs_pfor_decode_sum(struct cs_rbuf *r, size_t n, uint64_t base, uint64_t first, uint64_t *out)
{
    out[0] = first;
    for (size_t k = 0; k * CS_PFOR_BLOCK < n; k++) {
        const size_t from = k * CS_PFOR_BLOCK;
        const size_t m = n - from < CS_PFOR_BLOCK ? n - from : CS_PFOR_BLOCK;
        const uint8_t *blk = r->p + r->pos;
        unsigned b, e;
        const char *problem = take_block(r, m, &b, &e);
        if (problem != NULL) return problem;
        uint64_t *o = out + 1 + from;
        cs_pfor_block_decode(blk, m, base, o);
        cs_running_sum(o, m, o[-1]); /* while the block is in L1 */
    }
    return NULL;
}
