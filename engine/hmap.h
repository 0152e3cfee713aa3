/*
 * Small open-addressing hash maps used by the loader: int64 key → uint64 value and byte
 * string → uint64 value (strings are not copied: they must outlive the map). xxHash (XXH3)
 * hashes the keys. Grows at 50 % load.
 */
#ifndef CS_HMAP_H
#define CS_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_hmap {
    size_t cap, len; /* cap is a power of two */
    int64_t *keys;
    const char **strs; /* string maps only */
    size_t *lens;
    uint64_t *vals;
    uint8_t *used;
    bool is_str;
};

bool cs_hmap_init(struct cs_hmap *m, bool is_str, size_t expected);
void cs_hmap_free(struct cs_hmap *m);
/* Find: returns a pointer to the value or NULL. */
uint64_t *cs_hmap_get(const struct cs_hmap *m, int64_t key);
uint64_t *cs_hmap_get_str(const struct cs_hmap *m, const char *s, size_t len);
/* Insert or overwrite; false when memory runs out. */
bool cs_hmap_put(struct cs_hmap *m, int64_t key, uint64_t val);
bool cs_hmap_put_str(struct cs_hmap *m, const char *s, size_t len, uint64_t val);

#endif
