/* Natural-key filters of dimension row groups (see key_filter.h). */
#include "storage/key_filter.h"

#include <string.h>
#include <xxhash.h>

#include "storage/store_int.h"

/* The eight odd constants of Parquet's split-block Bloom filter: one bit per 32-bit word. */
static const uint32_t salt[8] = {0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du,
                                 0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u};

uint64_t cs_kf_hash(const char *s, size_t len)
{
    return XXH64(s, len, 0);
}

static uint32_t blocks_for(size_t rows)
{
    const uint64_t bits = (uint64_t)(rows ? rows : 1) * CS_KF_BITS_PER_KEY;
    return (uint32_t)((bits + 8 * CS_KF_BLOCK - 1) / (8 * CS_KF_BLOCK));
}

size_t cs_kf_size(size_t rows)
{
    return CS_KF_FIXED + (size_t)blocks_for(rows) * CS_KF_BLOCK;
}

static size_t block_of(uint64_t h, uint32_t nblocks)
{
    return (size_t)(((h >> 32) * nblocks) >> 32);
}

void cs_kf_build(const struct cs_col *c, uint8_t *out)
{
    const uint32_t nb = blocks_for(c->len);
    const size_t n = (size_t)nb * CS_KF_BLOCK;
    memset(out, 0, CS_KF_FIXED + n);
    cs_put_u32(out, nb);
    uint8_t *bits = out + 8;
    for (size_t r = 0; r < c->len; r++) {
        if (cs_col_is_null(c, r)) continue;
        size_t len;
        const char *s = cs_col_str(c, r, &len);
        const uint64_t h = cs_kf_hash(s, len);
        uint8_t *b = bits + block_of(h, nb) * CS_KF_BLOCK;
        for (int i = 0; i < 8; i++) {
            const uint32_t w = cs_get_u32(b + 4 * i) | UINT32_C(1)
                                                           << (((uint32_t)h * salt[i]) >> 27);
            cs_put_u32(b + 4 * i, w);
        }
    }
    cs_put_u64(bits + n, XXH64(out, 8 + n, 0));
}

bool cs_kf_parse(const uint8_t *p, size_t len, struct cs_key_filter *f)
{
    if (len < CS_KF_FIXED + CS_KF_BLOCK) return false;
    const uint32_t nb = cs_get_u32(p);
    if (nb == 0 || cs_get_u32(p + 4) != 0 || (len - CS_KF_FIXED) / CS_KF_BLOCK != nb ||
        (len - CS_KF_FIXED) % CS_KF_BLOCK != 0)
        return false;
    const size_t n = (size_t)nb * CS_KF_BLOCK;
    if (XXH64(p, 8 + n, 0) != cs_get_u64(p + 8 + n)) return false;
    f->blocks = p + 8;
    f->nblocks = nb;
    return true;
}

bool cs_kf_may_contain(const struct cs_key_filter *f, uint64_t h)
{
    const uint8_t *b = f->blocks + block_of(h, f->nblocks) * CS_KF_BLOCK;
    for (int i = 0; i < 8; i++) {
        if (!((cs_get_u32(b + 4 * i) >> (((uint32_t)h * salt[i]) >> 27)) & 1u)) return false;
    }
    return true;
}
