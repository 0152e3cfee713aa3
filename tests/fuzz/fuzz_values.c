/*
 * Fuzz target: the value parsers (etl/value_parse.h). The first input byte picks the parser
 * (and for numeric the scale and precision, for int the type); the rest is the value's text.
 * Every parser must accept or refuse with a NUL-terminated reason inside CS_VP_WHY_SIZE —
 * never crash, read past the value or write past its output. Accepted values are checked for
 * what the parser promises: a date in years 1..9999, a timestamp in range, an int in its
 * type's range, a text[] whose canonical form parses again to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etl/value_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_why(const char *why)
{
    if (memchr(why, '\0', CS_VP_WHY_SIZE) == NULL || why[0] == '\0') __builtin_trap();
}

static void text_array(const char *s, size_t n, char *why)
{
    const size_t cap = cs_vp_text_array_cap(n);
    char *out = malloc(cap ? cap : 1);
    size_t len = 0;
    if (out == NULL) return;
    if (!cs_vp_text_array(s, n, out, cap, &len, why)) {
        check_why(why);
    } else {
        if (len > cap) __builtin_trap();
        /* the canonical form is a fixed point */
        const size_t cap2 = cs_vp_text_array_cap(len);
        char *again = malloc(cap2 ? cap2 : 1);
        size_t len2 = 0;
        if (again != NULL) {
            if (!cs_vp_text_array(out, len, again, cap2, &len2, why) || len2 != len ||
                memcmp(again, out, len) != 0)
                __builtin_trap();
            free(again);
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* copy without a terminator so that a read past the value is caught */
    const size_t n = size - 1;
    char *s = malloc(n ? n : 1);
    if (s == NULL) return 0;
    memcpy(s, data + 1, n);
    char why[CS_VP_WHY_SIZE];
    int64_t v = 0;
    bool b = false, ok = true;
    uint8_t h16[16];
    struct cs_vp_day_cache cache = {0};
    switch (data[0] % 11) {
    case 0:
        ok = cs_vp_utf8(s, n, why);
        break;
    case 1:
        ok = cs_vp_bool(s, n, &b, why);
        break;
    case 2:
        ok = cs_vp_int(s, n, (data[0] & 0x80) ? CS_TY_INT8 : CS_TY_INT4, &v, why);
        if (ok && !(data[0] & 0x80) && (v < INT32_MIN || v > INT32_MAX)) __builtin_trap();
        break;
    case 3:
        ok = cs_vp_numeric(s, n, (data[0] >> 4) % 7, (data[0] >> 4) % 19, &v, why);
        break;
    case 4:
        ok = cs_vp_date(s, n, &v, why);
        if (ok && (v < -719162 || v > 2932896)) __builtin_trap(); /* 0001-01-01 .. 9999-12-31 */
        break;
    case 5:
        ok = cs_vp_timestamptz(s, n, &v, why);
        break;
    case 6: {
        int64_t w = 0;
        char why2[CS_VP_WHY_SIZE];
        ok = cs_vp_timestamptz_day(s, n, &cache, &v, why);
        /* the fast path agrees with the general parser, also on a second (cached) call */
        const bool ok2 = cs_vp_timestamptz(s, n, &w, why2);
        if (ok != ok2 || (ok && v != w)) __builtin_trap();
        const bool ok3 = cs_vp_timestamptz_day(s, n, &cache, &w, why2);
        if (ok3 != ok || (ok && v != w)) __builtin_trap();
        break;
    }
    case 7:
        ok = cs_vp_hash16(s, n, h16, why);
        break;
    case 8:
        ok = cs_vp_json(s, n, why);
        break;
    case 9:
        text_array(s, n, why);
        break;
    default:
        (void)cs_vp_overall_score(data[0] % 6, n % 6, (n / 6) % 6);
        break;
    }
    if (!ok) check_why(why);
    free(s);
    return 0;
}
