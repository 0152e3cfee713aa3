/* Open-addressing hash maps for the loader (see keymap.h). */
#include "engine/hmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static size_t hash_key(int64_t k)
{
    return (size_t)XXH3_64bits(&k, sizeof(k));
}

static size_t hash_str(const char *s, size_t len)
{
    return (size_t)XXH3_64bits(s, len);
}

static bool alloc_arrays(struct cs_hmap *m, size_t cap)
{
    m->cap = cap;
    m->len = 0;
    m->keys = calloc(cap, sizeof(*m->keys));
    m->vals = calloc(cap, sizeof(*m->vals));
    m->used = calloc(cap, 1);
    if (m->is_str) {
        m->strs = calloc(cap, sizeof(*m->strs));
        m->lens = calloc(cap, sizeof(*m->lens));
    }
    return m->keys && m->vals && m->used && (!m->is_str || (m->strs && m->lens));
}

bool cs_hmap_init(struct cs_hmap *m, bool is_str, size_t expected)
{
    memset(m, 0, sizeof(*m));
    m->is_str = is_str;
    size_t cap = 64;
    while (cap < expected * 2)
        cap *= 2;
    if (!alloc_arrays(m, cap)) {
        cs_hmap_free(m);
        return false;
    }
    return true;
}

void cs_hmap_free(struct cs_hmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    free(m->strs);
    free(m->lens);
    memset(m, 0, sizeof(*m));
}

static size_t find_slot(const struct cs_hmap *m, int64_t key, const char *s, size_t len)
{
    size_t mask = m->cap - 1;
    size_t i = (m->is_str ? hash_str(s, len) : hash_key(key)) & mask;
    for (;;) {
        if (!m->used[i]) return i;
        if (m->is_str) {
            if (m->lens[i] == len && (len == 0 || memcmp(m->strs[i], s, len) == 0)) return i;
        } else if (m->keys[i] == key) {
            return i;
        }
        i = (i + 1) & mask;
    }
}

static bool grow(struct cs_hmap *m)
{
    struct cs_hmap old = *m;
    if (!alloc_arrays(m, old.cap * 2)) {
        cs_hmap_free(m);
        *m = old;
        return false;
    }
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.used[i]) continue;
        size_t j = find_slot(m, old.keys[i], old.is_str ? old.strs[i] : NULL,
                             old.is_str ? old.lens[i] : 0);
        m->used[j] = 1;
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
        if (m->is_str) {
            m->strs[j] = old.strs[i];
            m->lens[j] = old.lens[i];
        }
        m->len++;
    }
    cs_hmap_free(&old);
    return true;
}

uint64_t *cs_hmap_get(const struct cs_hmap *m, int64_t key)
{
    size_t i = find_slot(m, key, NULL, 0);
    return m->used[i] ? &m->vals[i] : NULL;
}

uint64_t *cs_hmap_get_str(const struct cs_hmap *m, const char *s, size_t len)
{
    size_t i = find_slot(m, 0, s, len);
    return m->used[i] ? &m->vals[i] : NULL;
}

static bool put(struct cs_hmap *m, int64_t key, const char *s, size_t len, uint64_t val)
{
    if ((m->len + 1) * 2 > m->cap && !grow(m)) return false;
    size_t i = find_slot(m, key, s, len);
    if (!m->used[i]) {
        m->used[i] = 1;
        m->keys[i] = key;
        if (m->is_str) {
            m->strs[i] = s;
            m->lens[i] = len;
        }
        m->len++;
    }
    m->vals[i] = val;
    return true;
}

bool cs_hmap_put(struct cs_hmap *m, int64_t key, uint64_t val)
{
    return put(m, key, NULL, 0, val);
}

bool cs_hmap_put_str(struct cs_hmap *m, const char *s, size_t len, uint64_t val)
{
    return put(m, 0, s, len, val);
}
