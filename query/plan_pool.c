/*
 * The string pool of a star query: every text value the query groups, counts distinct or
 * compares becomes an id, so group keys and aggregate states are integers. Shared by the
 * workers (interning takes a lock, once a batch column); entries never move.
 */
#include "query/plan_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define CHUNK_FIRST (1u << 12)
#define CHUNK_MAX   (1u << 20)

int cs_pool_init(struct cs_pool *p, struct cs_error *err)
{
    memset(p, 0, sizeof(*p));
    p->mask = 1023;
    p->slots = calloc(p->mask + 1, sizeof(*p->slots));
    p->hashes = calloc(p->mask + 1, sizeof(*p->hashes));
    if (p->slots == NULL || p->hashes == NULL) {
        free(p->slots);
        free(p->hashes);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    (void)pthread_mutex_init(&p->mu, NULL);
    return CS_OK;
}

void cs_pool_free(struct cs_pool *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->chunks[i]);
    free(p->chunks);
    for (size_t i = 0; i < CS_POOL_PAGES && p->pages[i] != NULL; i++)
        free(p->pages[i]);
    free(p->slots);
    free(p->hashes);
    (void)pthread_mutex_destroy(&p->mu);
    memset(p, 0, sizeof(*p));
}

static char *pool_bytes(struct cs_pool *p, size_t len)
{
    if (p->nchunks == 0 || p->chunk_used + len > p->chunk_size) {
        if (p->nchunks == p->chunk_cap) {
            size_t cap = p->chunk_cap ? 2 * p->chunk_cap : 16;
            char **c = realloc(p->chunks, cap * sizeof(*c));
            if (c == NULL) return NULL;
            p->chunks = c;
            p->chunk_cap = cap;
        }
        /* chunks grow with the pool: a few names take a few KiB */
        size_t size = p->chunk_size == 0          ? CHUNK_FIRST
                      : p->chunk_size < CHUNK_MAX ? 2 * p->chunk_size
                                                  : CHUNK_MAX;
        if (size < len) size = len;
        char *chunk = malloc(size);
        if (chunk == NULL) return NULL;
        p->chunks[p->nchunks++] = chunk;
        p->chunk_size = size;
        p->chunk_used = 0;
    }
    char *out = p->chunks[p->nchunks - 1] + p->chunk_used;
    p->chunk_used += len;
    return out;
}

static bool pool_grow(struct cs_pool *p)
{
    const size_t cap = 2 * (p->mask + 1);
    uint32_t *slots = calloc(cap, sizeof(*slots));
    uint64_t *hashes = calloc(cap, sizeof(*hashes));
    if (slots == NULL || hashes == NULL) {
        free(slots);
        free(hashes);
        return false;
    }
    for (size_t i = 0; i <= p->mask; i++) {
        if (p->slots[i] == 0) continue;
        size_t s = (size_t)p->hashes[i] & (cap - 1);
        while (slots[s] != 0)
            s = (s + 1) & (cap - 1);
        slots[s] = p->slots[i];
        hashes[s] = p->hashes[i];
    }
    free(p->slots);
    free(p->hashes);
    p->slots = slots;
    p->hashes = hashes;
    p->mask = cap - 1;
    return true;
}

static int
intern_locked(struct cs_pool *p, const char *s, size_t len, int64_t *id, struct cs_error *err)
{
    const uint64_t h = XXH3_64bits(s, len);
    size_t slot = (size_t)h & p->mask;
    while (p->slots[slot] != 0) {
        if (p->hashes[slot] == h) {
            size_t elen;
            const char *e = cs_pool_str(p, p->slots[slot] - 1, &elen);
            if (elen == len && memcmp(e, s, len) == 0) {
                *id = p->slots[slot] - 1;
                return CS_OK;
            }
        }
        slot = (slot + 1) & p->mask;
    }
    if (p->n >= (size_t)CS_POOL_FIRST * (((size_t)1 << CS_POOL_PAGES) - 1))
        return cs_error_set(err, CS_ENOMEM, "more than %zu distinct strings in one query", p->n);
    size_t at;
    const size_t page = cs_pool_page(p->n, &at);
    struct cs_pool_ent **pg = &p->pages[page];
    if (*pg == NULL &&
        (*pg = malloc(((size_t)CS_POOL_FIRST << page) * sizeof(struct cs_pool_ent))) == NULL)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    char *copy = pool_bytes(p, len + 1);
    if (copy == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (len > 0) memcpy(copy, s, len);
    copy[len] = '\0';
    (*pg)[at] = (struct cs_pool_ent){copy, len};
    p->slots[slot] = (uint32_t)(p->n + 1);
    p->hashes[slot] = h;
    *id = (int64_t)p->n++;
    if (2 * p->n > p->mask && !pool_grow(p)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    return CS_OK;
}

int cs_pool_intern(struct cs_pool *p, const char *s, size_t len, int64_t *id, struct cs_error *err)
{
    (void)pthread_mutex_lock(&p->mu);
    const int rc = intern_locked(p, s, len, id, err);
    (void)pthread_mutex_unlock(&p->mu);
    return rc;
}

int cs_pool_intern_col(struct cs_pool *p,
                       const struct cs_col *c,
                       const uint32_t *sel,
                       size_t n,
                       int64_t *out,
                       struct cs_error *err)
{
    int rc = CS_OK;
    (void)pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        const size_t r = sel != NULL ? sel[i] : i;
        if (cs_col_is_null(c, r)) {
            out[i] = 0;
            continue;
        }
        size_t len;
        const char *s = cs_col_str(c, r, &len);
        rc = intern_locked(p, s, len, &out[i], err);
    }
    (void)pthread_mutex_unlock(&p->mu);
    return rc;
}
