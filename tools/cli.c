/* Shared pieces of the command-line tools (see cli.h). */
#include "tools/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(int code)
{
    switch (code) {
    case COLSTORE_OK: return CLI_OK;
    case COLSTORE_EINPUT: return CLI_INPUT;
    case COLSTORE_EINVAL: return CLI_USAGE;
    case COLSTORE_ECORRUPT: return CLI_CORRUPT;
    default: return CLI_IO; /* EIO, ENOMEM, EBUSY: the system, not the input */
    }
}

const char *cli_store_dir(const char *opt)
{
    if (opt != NULL) return opt;
    const char *env = getenv("COLSTORE_DIR");
    return env != NULL && *env != '\0' ? env : NULL;
}

bool cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (s == NULL || *s == '\0') return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

bool cli_parse_utc(const char *s, int64_t *out_us)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return false;
    const char *p = s + n;
    if (*p == ' ' || *p == 'T') {
        int k = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &k) != 3) return false;
        p += 1 + k;
    }
    long frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits < 6) frac = frac * 10 + (*p - '0');
        }
        for (; digits < 6; digits++) frac *= 10;
    }
    if (strcmp(p, "+00") == 0 || strcmp(p, "Z") == 0) p += strlen(p);
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return false;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_us = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
    return true;
}
