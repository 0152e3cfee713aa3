/*
 * Small open-addressing hash maps used by the loader: int64 key → uint64 value and byte
 * string → uint64 value (strings are not copied: they must outlive the map). xxHash (XXH3)
 * hashes the keys. Grows at 50 % load.
 */
#ifndef CS_KEYMAP_H
#define CS_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_keymap {
    size_t cap, len; /* cap is a power of two */
    int64_t *keys;
    const char **strs; /* string maps only */
    size_t *lens;
    uint64_t *vals;
    uint8_t *used;
    bool is_str;
};

bool cs_keymap_init(struct cs_keymap *m, bool is_str, size_t expected);
void cs_keymap_free(struct cs_keymap *m);
/* Find: returns a pointer to the value or NULL. */
uint64_t *cs_keymap_get(const struct cs_keymap *m, int64_t key);
uint64_t *cs_keymap_get_str(const struct cs_keymap *m, const char *s, size_t len);
/* Insert or overwrite; false when memory runs out. */
bool cs_keymap_put(struct cs_keymap *m, int64_t key, uint64_t val);
bool cs_keymap_put_str(struct cs_keymap *m, const char *s, size_t len, uint64_t val);

#endif
