/*
 * UTF-8 validation of text values, as PostgreSQL's pg_verify_mbstr() does for a UTF8
 * database: shortest forms only, no surrogates, nothing above U+10FFFF, and no NUL byte.
 * ASCII runs are checked eight bytes at a time: nearly every byte of an export is ASCII.
 */
#include "etl/value_parse.h"

#include <stdio.h>
#include <string.h>

#define HIGH_BITS UINT64_C(0x8080808080808080)
#define LOW_BITS  UINT64_C(0x0101010101010101)

/* seq_len() - length of the valid sequence at s[0..n), 0 when it is invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    const unsigned c = s[0];
    if (c == 0) return 0;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && s[1] < 0xa0) return 0;  /* overlong */
        if (c == 0xed && s[1] >= 0xa0) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xf4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static bool bad_sequence(const unsigned char *s, size_t n, char *why)
{
    /* PostgreSQL shows the bytes of the offending character, up to its expected length */
    size_t show = 1;
    if (s[0] >= 0xc0) show = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    if (show > n) show = n;
    int len = snprintf(why, CS_VP_WHY_SIZE, "invalid byte sequence for encoding \"UTF8\":");
    for (size_t i = 0; i < show && len > 0 && len < CS_VP_WHY_SIZE - 6; i++) {
        len += snprintf(why + len, CS_VP_WHY_SIZE - (size_t)len, " 0x%02x", s[i]);
    }
    return false;
}

bool cs_vp_utf8(const char *str, size_t n, char *why)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* all ASCII and no zero byte */
            if (((w | ((w - LOW_BITS) & ~w)) & HIGH_BITS) == 0) {
                i += 8;
                continue;
            }
        }
        const size_t k = seq_len(s + i, n - i);
        if (k == 0) return bad_sequence(s + i, n - i, why);
        i += k;
    }
    return true;
}
