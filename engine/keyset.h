/*
 * A set of int64 keys for the loader's "seen in this export" check: a bitmap over the keys'
 * range while they are dense (surrogate keys are sequences: 10 M keys in 1.25 MB), turning into
 * a hash set when they are too sparse for one.
 */
#ifndef CS_KEYSET_H
#define CS_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/hmap.h"

struct cs_keyset {
    int64_t base;   /* key of bit 0; a multiple of 64 */
    uint64_t *bits; /* nwords words */
    size_t nwords;
    size_t count;
    bool sparse;
    struct cs_hmap map; /* when sparse */
};

void cs_keyset_init(struct cs_keyset *s);
void cs_keyset_free(struct cs_keyset *s);
/* cs_keyset_add() - add k: 1 when it was already there, 0 when added, -1 out of memory. */
int cs_keyset_add(struct cs_keyset *s, int64_t k);

#endif
