/* Shared pieces of the command-line tools (see cli.h). */
#include "tools/cli.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* getopt_long values: option i is CLI_OPT_BASE + i, clear of every short option character. */
#define CLI_OPT_BASE 256

int cli_exit_code(int code)
{
    switch (code) {
    case COLSTORE_OK:
        return CLI_OK;
    case COLSTORE_EINPUT:
        return CLI_INPUT;
    case COLSTORE_EINVAL:
        return CLI_USAGE;
    case COLSTORE_ECORRUPT:
        return CLI_CORRUPT;
    default:
        return CLI_IO; /* EIO, ENOMEM, EBUSY, ECANCELED: the system, not the input */
    }
}

static void vsay(const struct cli *c, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", c->prog);
    vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): callers va_start it
    fputc('\n', stderr);
}

int cli_usage(const struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help'.\n", c->prog);
    return CLI_USAGE;
}

int cli_error(const struct cli *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, fmt, ap);
    va_end(ap);
    return code;
}

int cli_fail(const struct cli *c, int rc, const colstore_error *err)
{
    if (err != NULL && err->message[0] != '\0')
        fprintf(stderr, "%s: %s\n", c->prog, err->message);
    else
        fprintf(stderr, "%s: failed with status %d\n", c->prog, rc);
    return cli_exit_code(rc);
}

int cli_parse(struct cli *c, int argc, char **argv)
{
    struct option lo[CLI_MAX_OPTS + 3];
    if (c->nopt > CLI_MAX_OPTS) return cli_error(c, CLI_USAGE, "internal: too many options");
    for (int i = 0; i < c->nopt; i++) {
        lo[i] = (struct option){c->opt[i].name, c->opt[i].arg ? required_argument : no_argument,
                                NULL, CLI_OPT_BASE + i};
        c->val[i] = NULL;
    }
    lo[c->nopt] = (struct option){"help", no_argument, NULL, 'h'};
    lo[c->nopt + 1] = (struct option){"version", no_argument, NULL, 'V'};
    lo[c->nopt + 2] = (struct option){NULL, 0, NULL, 0};
    /* glibc's messages ("unrecognized option '--csv'", "option '--store' requires an argument")
     * start with argv[0]: make that the tool's name, not its path. */
    if (argc > 0) argv[0] = (char *)c->prog;
    opterr = 1;
    optind = 1;
    for (;;) {
        int k = getopt_long(argc, argv, "hV", lo, NULL);
        if (k == -1) break;
        if (k == 'h') {
            fputs(c->usage, stdout);
            return CLI_OK;
        }
        if (k == 'V') {
            printf("%s (colstore) %s\n", c->prog, COLSTORE_VERSION_STRING);
            return CLI_OK;
        }
        if (k < CLI_OPT_BASE || k >= CLI_OPT_BASE + c->nopt) {
            fprintf(stderr, "Try '%s --help'.\n", c->prog);
            return CLI_USAGE;
        }
        c->val[k - CLI_OPT_BASE] = optarg != NULL ? optarg : "";
    }
    c->pos = argv + optind;
    c->npos = argc - optind;
    return -1;
}

bool cli_given(const struct cli *c, int id)
{
    return id >= 0 && id < c->nopt && c->val[id] != NULL;
}

int cli_only(const struct cli *c, uint64_t allowed, const char *what)
{
    for (int i = 0; i < c->nopt; i++) {
        if (c->val[i] != NULL && !(allowed & CLI_BIT(i)))
            return cli_usage(c, "--%s does not apply to %s", c->opt[i].name, what);
    }
    return -1;
}

/* Edit distance (insert, delete, substitute, transpose adjacent) of two short strings. */
static size_t distance(const char *a, const char *b)
{
    enum { MAXN = 64 };
    const size_t n = strlen(a), m = strlen(b);
    if (n >= MAXN || m >= MAXN) return SIZE_MAX;
    size_t d[MAXN][MAXN];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *cli_nearest(const char *s, const char *const *names, int n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (int i = 0; i < n; i++) {
        const size_t d = distance(s, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    /* a typo: a few edits, fewer than a third of the name */
    const size_t len = strlen(s);
    return best != NULL && best_d <= 3 && best_d * 3 <= len + 2 ? best : NULL;
}

int cli_unknown_name(
    const struct cli *c, const char *kind, const char *name, const char *const *names, int n)
{
    const char *near = cli_nearest(name, names, n);
    if (near != NULL)
        fprintf(stderr, "%s: unknown %s \"%s\"; did you mean \"%s\"?\n", c->prog, kind, name, near);
    else
        fprintf(stderr, "%s: unknown %s \"%s\"\n", c->prog, kind, name);
    fprintf(stderr, "%s: valid names:", c->prog);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s", names[i]);
    fprintf(stderr, "\nTry '%s --help'.\n", c->prog);
    return CLI_USAGE;
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

/* Days from and to the proleptic Gregorian calendar (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cli_date_text(int64_t days, char out[16])
{
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2);
    (void)snprintf(out, 16, "%04lld-%02lld-%02lld", (long long)y, (long long)m, (long long)d);
}

int64_t cli_key_days(int32_t time_key)
{
    return days_from_civil(time_key / 10000, (unsigned)(time_key / 100 % 100),
                           (unsigned)(time_key % 100));
}

void cli_huge_heap(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    const size_t pad = (size_t)256 << 20, huge = (size_t)2 << 20;
    if (mallopt(M_ARENA_MAX, 1) == 0 || mallopt(M_MMAP_THRESHOLD, 32 << 20) == 0 ||
        mallopt(M_TRIM_THRESHOLD, 512 << 20) == 0 || mallopt(M_TOP_PAD, (int)pad) == 0)
        return;
    /* grow the heap once by the pad, and ask for huge pages over it */
    uintptr_t lo = (uintptr_t)sbrk(0);
    void *p = malloc((size_t)16 << 20);
    const uintptr_t hi = (uintptr_t)sbrk(0);
    free(p);
    lo = (lo + huge - 1) & ~(uintptr_t)(huge - 1);
    if (p != NULL && hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
}
