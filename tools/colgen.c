/*
 * colgen: synthetic PostgreSQL exports of the seven warehouse tables, for the demo, the tests
 * and the benchmarks.
 *
 *   colgen --out DIR --rows N [--seed S] [--start YYYY-MM-DD] [--days D] [--format text|csv|both]
 *
 * Writes DIR/<table>.copy (COPY text format) and/or DIR/<table>.csv (CSV with a header), byte
 * for byte what PostgreSQL 15 prints for `COPY (SELECT * FROM t ORDER BY key) TO STDOUT`
 * (`WITH (FORMAT csv, HEADER)`) in a session with TimeZone UTC and DateStyle ISO: the
 * generated column overall_score included, jsonb in its canonical form, text[] quoted as
 * array_out quotes it. tests/diff/run.sh proves this by loading the files into PostgreSQL and
 * exporting them again.
 *
 * N is the row count of fact_agent_query; fact_approval gets N/10, fact_training N/20 and
 * dim_conversation N/100 (at least 1). Everything is a function of the seed: the generator
 * has its own PRNG (xoshiro256** seeded by splitmix64), one stream per table, so the output
 * is the same on every run and every machine with the same libm.
 *
 * The data is meant to be awkward: SCD-2 agent versions that split the range, names and ids
 * needing CSV quoting or COPY escapes (commas, quotes, backslashes, tabs, newlines, UTF-8),
 * NULL in every nullable column, long-tail latencies, days with exactly one query and one day
 * with none, timestamps with 0 to 6 fractional digits.
 *
 * Exit codes as for every colstore tool: 0 success, 2 usage, 3 I/O error.
 *
 * This file links nothing but libc, libm and the argument parsing of tools/cli.c, on purpose:
 * it is the independent half of the differential tests, so it shares no code with the engine
 * it checks.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cli.h"

#define EXIT_USAGE 2
#define EXIT_IO    3

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY INT64_C(86400000000)
#define OPEN_END     INT64_MAX /* valid_to of a current version */
#define NIL          INT64_MIN /* an SQL NULL among integer values */

/* Days of dim_time before the first and after the last day of facts. */
#define DIM_TIME_MARGIN_DAYS 7

/* ---------------------------------------------------------------- PRNG */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * UINT64_C(0xd1b54a32d192ed03));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A double uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* An integer uniform in [0, n), n > 0 (the tiny modulo bias does not matter here). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

static int rng_int(struct rng *r, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)rng_below(r, (uint64_t)hi - (uint64_t)lo + 1);
}

static bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* A standard normal value (Box-Muller, one of the pair). */
static double rng_normal(struct rng *r)
{
    double u1 = rng_unit(r);
    const double u2 = rng_unit(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double rng_lognormal(struct rng *r, double median, double sigma)
{
    return median * exp(sigma * rng_normal(r));
}

/* Index into weights[0..n) chosen with probability proportional to its weight. */
static int rng_pick(struct rng *r, const double *weights, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    double x = rng_unit(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < weights[i]) return i;
        x -= weights[i];
    }
    return n - 1;
}

/* Truncates a microsecond count to a random number (0..6) of fractional digits, so that the
 * export shows every width PostgreSQL prints. */
static int64_t rng_trim_fraction(struct rng *r, int64_t us)
{
    static const int64_t unit[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    static const double w[7] = {0.12, 0.08, 0.08, 0.12, 0.08, 0.08, 0.44};
    const int digits = rng_pick(r, w, 7);
    int64_t q = us / unit[digits];
    return q * unit[digits];
}

/* ---------------------------------------------------------------- calendar */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;
    const int64_t mp = (int64_t)((m + 9) % 12);
    const int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Day of week, 0 = Sunday (EXTRACT(DOW)); 1970-01-01 was a Thursday. */
static int day_of_week(int64_t days)
{
    return (int)(((days % 7) + 11) % 7);
}

static int day_of_year(int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    return (int)(days - days_from_civil(y, 1, 1) + 1);
}

/* ISO 8601 week number (EXTRACT(WEEK)): the week of the Thursday of the date's week. */
static int iso_week(int64_t days)
{
    const int monday_based = (day_of_week(days) + 6) % 7;
    const int64_t thursday = days - monday_based + 3;
    return (day_of_year(thursday) - 1) / 7 + 1;
}

static bool parse_date(const char *s, int64_t *days)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
    if (y < 1000 || y > 9000 || m < 1 || m > 12 || d < 1 || d > 31) return false;
    const int64_t z = days_from_civil(y, (unsigned)m, (unsigned)d);
    int64_t y2;
    unsigned m2, d2;
    civil_from_days(z, &y2, &m2, &d2);
    if (y2 != y || (int)m2 != m || (int)d2 != d) return false; /* 2025-02-30 */
    *days = z;
    return true;
}

/* ---------------------------------------------------------------- number formatting */

static size_t fmt_u64(char *p, uint64_t u)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t fmt_i64(char *p, int64_t v)
{
    if (v >= 0) return fmt_u64(p, (uint64_t)v);
    p[0] = '-';
    return 1 + fmt_u64(p + 1, (uint64_t)0 - (uint64_t)v);
}

static void fmt_2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

static size_t fmt_date(char *p, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    fmt_2(p, (unsigned)(y / 100));
    fmt_2(p + 2, (unsigned)(y % 100));
    p[4] = '-';
    fmt_2(p + 5, m);
    p[7] = '-';
    fmt_2(p + 8, d);
    return 10;
}

/* "2025-03-04 10:11:12.5+00": the fraction trimmed of trailing zeros, absent when zero. */
static size_t fmt_ts(char *p, int64_t us)
{
    static int64_t cached_day = INT64_MIN;
    static char cached_date[10];
    const int64_t days = floor_div(us, USEC_PER_DAY);
    int64_t rest = us - days * USEC_PER_DAY;
    if (days != cached_day) {
        fmt_date(cached_date, days);
        cached_day = days;
    }
    memcpy(p, cached_date, 10);
    size_t n = 10;
    const int64_t secs = rest / USEC_PER_SEC;
    int64_t frac = rest % USEC_PER_SEC;
    p[n++] = ' ';
    fmt_2(p + n, (unsigned)(secs / 3600));
    p[n + 2] = ':';
    fmt_2(p + n + 3, (unsigned)(secs / 60 % 60));
    p[n + 5] = ':';
    fmt_2(p + n + 6, (unsigned)(secs % 60));
    n += 8;
    if (frac != 0) {
        int digits = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        p[n++] = '.';
        for (int i = digits - 1; i >= 0; i--) {
            p[n + (size_t)i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n += (size_t)digits;
    }
    memcpy(p + n, "+00", 3); // NOLINT(bugprone-not-null-terminated-result): counted bytes
    return n + 3;
}

/* numeric with `scale` digits: v / 10^scale, v >= 0. */
static size_t fmt_numeric(char *p, int64_t v, int scale)
{
    int64_t pow10 = 1;
    for (int i = 0; i < scale; i++)
        pow10 *= 10;
    size_t n = fmt_i64(p, v / pow10);
    p[n++] = '.';
    int64_t frac = v % pow10;
    for (int i = scale - 1; i >= 0; i--) {
        p[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return n + (size_t)scale;
}

/* ---------------------------------------------------------------- output sinks */

#define SINK_BUF_BYTES  ((size_t)1 << 20)
#define MAX_FIELD_BYTES ((size_t)1 << 14) /* longest value this program writes, escaped */

struct sink {
    FILE *file;
    char *path;
    char *buf;
    size_t len;
    bool csv;
};

/* A table's output: one sink per format requested, every field written to each. */
struct out {
    struct sink sinks[2];
    int nsinks;
    int col; /* fields written on the current row */
};

static void die_io(const char *what, const char *path)
{
    fprintf(stderr, "colgen: could not %s \"%s\": %s\n", what, path, strerror(errno));
    exit(EXIT_IO);
}

static void sink_flush(struct sink *s)
{
    if (s->len != 0 && fwrite(s->buf, 1, s->len, s->file) != s->len) die_io("write", s->path);
    s->len = 0;
}

static char *sink_reserve(struct sink *s, size_t n)
{
    if (s->len + n > SINK_BUF_BYTES + MAX_FIELD_BYTES) sink_flush(s);
    return s->buf + s->len;
}

static void sink_sep(struct sink *s, int col)
{
    if (col > 0) s->buf[s->len++] = s->csv ? ',' : '\t';
    if (s->len >= SINK_BUF_BYTES) sink_flush(s);
}

static void out_open(struct out *o,
                     const char *dir,
                     const char *table,
                     int formats,
                     const char *const *cols,
                     int ncols)
{
    static const char *const ext[2] = {".copy", ".csv"};
    o->nsinks = 0;
    o->col = 0;
    for (int f = 0; f < 2; f++) {
        if ((formats & (1 << f)) == 0) continue;
        struct sink *s = &o->sinks[o->nsinks++];
        const size_t plen = strlen(dir) + strlen(table) + 8;
        s->path = malloc(plen);
        s->buf = malloc(SINK_BUF_BYTES + MAX_FIELD_BYTES);
        if (s->path == NULL || s->buf == NULL) {
            fprintf(stderr, "colgen: out of memory\n");
            exit(EXIT_IO);
        }
        snprintf(s->path, plen, "%s/%s%s", dir, table, ext[f]);
        s->file = fopen(s->path, "wb");
        if (s->file == NULL) die_io("create", s->path);
        s->len = 0;
        s->csv = f == 1;
        if (s->csv) {
            for (int c = 0; c < ncols; c++) {
                sink_sep(s, c);
                const size_t n = strlen(cols[c]);
                memcpy(sink_reserve(s, n), cols[c], n);
                s->len += n;
            }
            s->buf[s->len++] = '\n';
        }
    }
}

static void out_close(struct out *o)
{
    for (int i = 0; i < o->nsinks; i++) {
        struct sink *s = &o->sinks[i];
        sink_flush(s);
        if (fclose(s->file) != 0) die_io("close", s->path);
        free(s->buf);
        free(s->path);
    }
    o->nsinks = 0;
}

static void f_null(struct out *o)
{
    for (int i = 0; i < o->nsinks; i++) {
        struct sink *s = &o->sinks[i];
        sink_sep(s, o->col);
        if (!s->csv) {
            memcpy(sink_reserve(s, 2), "\\N", 2);
            s->len += 2;
        }
    }
    o->col++;
}

/* A value that never needs quoting or escaping in either format (numbers, dates, t/f). */
static void f_raw(struct out *o, const char *v, size_t n)
{
    for (int i = 0; i < o->nsinks; i++) {
        struct sink *s = &o->sinks[i];
        sink_sep(s, o->col);
        memcpy(sink_reserve(s, n), v, n);
        s->len += n;
    }
    o->col++;
}

static void f_int(struct out *o, int64_t v)
{
    char b[24];
    if (v == NIL) {
        f_null(o);
        return;
    }
    f_raw(o, b, fmt_i64(b, v));
}

static void f_bool(struct out *o, int v) /* 0, 1 or -1 for NULL */
{
    if (v < 0)
        f_null(o);
    else
        f_raw(o, v ? "t" : "f", 1);
}

static void f_ts(struct out *o, int64_t us)
{
    char b[48];
    if (us == NIL) {
        f_null(o);
        return;
    }
    f_raw(o, b, fmt_ts(b, us));
}

static void f_date(struct out *o, int64_t days)
{
    char b[16];
    f_raw(o, b, fmt_date(b, days));
}

static void f_numeric(struct out *o, int64_t v, int scale)
{
    char b[48];
    f_raw(o, b, fmt_numeric(b, v, scale));
}

/* COPY text: backslash, the delimiter and \b \f \n \r \t \v are escaped (CopyAttributeOutText).
 * CSV: quoted when empty or holding a comma, quote, CR or LF; quotes doubled. */
static void f_text(struct out *o, const char *v)
{
    if (v == NULL) {
        f_null(o);
        return;
    }
    const size_t n = strlen(v);
    if (n * 2 + 2 > MAX_FIELD_BYTES) {
        fprintf(stderr, "colgen: internal error: value too long\n");
        exit(EXIT_IO);
    }
    for (int i = 0; i < o->nsinks; i++) {
        struct sink *s = &o->sinks[i];
        sink_sep(s, o->col);
        char *p = sink_reserve(s, n * 2 + 2);
        size_t k = 0;
        if (!s->csv) {
            for (size_t j = 0; j < n; j++) {
                const char c = v[j];
                char e = 0;
                switch (c) {
                case '\\':
                    e = '\\';
                    break;
                case '\t':
                    e = 't';
                    break;
                case '\n':
                    e = 'n';
                    break;
                case '\r':
                    e = 'r';
                    break;
                case '\b':
                    e = 'b';
                    break;
                case '\f':
                    e = 'f';
                    break;
                case '\v':
                    e = 'v';
                    break;
                default:
                    break;
                }
                if (e != 0) {
                    p[k++] = '\\';
                    p[k++] = e;
                } else {
                    p[k++] = c;
                }
            }
        } else if (n == 0 || strpbrk(v, ",\"\n\r") != NULL) {
            p[k++] = '"';
            for (size_t j = 0; j < n; j++) {
                if (v[j] == '"') p[k++] = '"';
                p[k++] = v[j];
            }
            p[k++] = '"';
        } else {
            memcpy(p, v, n); // NOLINT(bugprone-not-null-terminated-result): counted bytes
            k = n;
        }
        s->len += k;
    }
    o->col++;
}

static void end_row(struct out *o)
{
    for (int i = 0; i < o->nsinks; i++) {
        struct sink *s = &o->sinks[i];
        s->buf[s->len++] = '\n';
        if (s->len >= SINK_BUF_BYTES) sink_flush(s);
    }
    o->col = 0;
}

/* ---------------------------------------------------------------- the data model */

struct agent_def {
    const char *name;
    const char *type;
    int sla_s; /* -1: NULL */
};

/* Names needing CSV quoting or COPY escapes come early so that small runs include them. */
static const struct agent_def agent_pool[] = {
    {"data", "data", 300},
    {"Support Tier 2", "support", 180},
    {"billing,refunds", "ops", 600},
    {"engineer", "engineer", 600},
    {"sql \"helper\"", "data", -1},
    {"support", "support", 180},
    {"back\\office", "ops", 900},
    {"marketing", "marketing", 900},
    {"ai-research", "ai", 1200},
    {"qa", "qa", 240},
    {"ops", "ops", 120},
    {"zeta_ops", "ops", 60},
};
#define AGENT_POOL_N (int)(sizeof(agent_pool) / sizeof(agent_pool[0]))

/* jsonb as PostgreSQL prints it: ", " and ": " separators, object keys by length then bytes. */
static const char *const caps_pool[] = {
    "[\"query\", \"analytics\", \"schema\"]",
    "[\"code\", \"debug\", \"deploy\"]",
    "[\"ticket\", \"escalation\", \"knowledge\"]",
    "[]",
    "[\"sql\", \"a\\\"b\", \"tab\\tx\"]",
    "{\"tier\": 2, \"tools\": [\"search\", \"browse\"]}",
    "[\"content\", \"seo\", \"social\", \"ünïcode\"]",
};
#define CAPS_POOL_N (int)(sizeof(caps_pool) / sizeof(caps_pool[0]))

static const char *const type_pool[] = {"data", "engineer", "support", "marketing",
                                        "ai",   "qa",       "ops"};

struct version {
    int key;
    int agent;
    int64_t from_us;
    int64_t to_us; /* OPEN_END while current */
    const char *type;
    int sla_s;        /* -1: NULL */
    int64_t cost_e6;  /* cost_per_query_usd * 10^6 */
    const char *caps; /* NULL: SQL NULL */
};

struct agent {
    double weight;
    int nver;
    int ver[3]; /* indexes into versions, oldest first */
};

struct user_def {
    const char *id;
    const char *type;
    const char *team; /* NULL: SQL NULL */
};

static const struct user_def user_pool[] = {
    {"alice", "annotator", "labeling"},
    {"bob@example.com", "annotator", "labeling"},
    {"carol, jr.", "annotator", NULL},
    {"dave \"dj\" o'neil", "annotator", "trust & safety"},
    {"eve\\admin", "qa_team", "qa"},
    {"frank smith", "approver", "support ops"},
    {"grace", "approver", "team\tA"},
    {"Heidi", "approver", "line one\nline two"},
    {"ivan", "operator", "night shift"},
    {"judy", "qa_team", "a,b"},
    {"zoë", "annotator", "labeling"},
    {"mallory", "operator", NULL},
    {"niaj", "annotator", ""},
    {"olivia", "approver", "support ops"},
    {"\\N", "annotator", "literal backslash-N"},
    {"peggy", "annotator", "labeling"},
};
#define USER_POOL_N  (int)(sizeof(user_pool) / sizeof(user_pool[0]))
#define USER_RETIRED 11 /* mallory: valid_to set, not current */

struct conv {
    int64_t born_us;
    int64_t first_us, last_us;
    int32_t queries, approvals, feedback;
};

struct world {
    uint64_t seed;
    int64_t rows;
    int64_t start_day;
    int days;
    const char *dir;
    int formats; /* bit 0 text, bit 1 csv */

    int nagents;
    struct agent agents[AGENT_POOL_N];
    int nversions;
    struct version versions[AGENT_POOL_N * 3];
    double agent_weights[AGENT_POOL_N];

    int64_t user_from_us[USER_POOL_N];

    int64_t nconvs;
    struct conv *convs;

    int64_t *day_queries; /* query rows per day */
    int64_t *day_buf;     /* timestamps of one day */
    int64_t max_day_rows;
};

static int64_t start_us(const struct world *w)
{
    return w->start_day * USEC_PER_DAY;
}

static int64_t span_us(const struct world *w)
{
    return (int64_t)w->days * USEC_PER_DAY;
}

/* ---------------------------------------------------------------- dimensions */

static int cmp_version_from(const void *a, const void *b)
{
    const struct version *x = a, *y = b;
    return (x->from_us > y->from_us) - (x->from_us < y->from_us);
}

/* Agents and their SCD-2 versions: first versions get keys 1..A in pool order (loaded before
 * the range), later versions follow in valid_from order, as SERIAL would hand them out. */
static void make_agents(struct world *w)
{
    struct rng r;
    rng_init(&r, w->seed, 1);
    w->nagents = rng_int(&r, 6, AGENT_POOL_N);
    struct version later[AGENT_POOL_N * 2];
    int nlater = 0;
    w->nversions = 0;
    for (int a = 0; a < w->nagents; a++) {
        const struct agent_def *def = &agent_pool[a];
        struct agent *ag = &w->agents[a];
        ag->weight = a == w->nagents - 1 ? 0.03 : 0.2 + rng_unit(&r);
        w->agent_weights[a] = ag->weight;
        /* The first two agents always change, so every run has SCD-2 history. */
        ag->nver = a == 0 ? 3 : a == 1 ? 2 : rng_chance(&r, 0.3) ? 2 + rng_int(&r, 0, 1) : 1;
        int64_t cuts[3];
        for (int v = 1; v < ag->nver; v++) {
            const double at = 0.15 + 0.7 * rng_unit(&r);
            cuts[v] = rng_trim_fraction(&r, start_us(w) + (int64_t)(at * (double)span_us(w)));
        }
        if (ag->nver == 3 && cuts[1] > cuts[2]) {
            const int64_t t = cuts[1];
            cuts[1] = cuts[2];
            cuts[2] = t;
        }
        struct version v0 = {
            .key = a + 1,
            .agent = a,
            .from_us =
                start_us(w) - 30 * USEC_PER_DAY + (int64_t)rng_below(&r, 3600) * USEC_PER_SEC,
            .to_us = ag->nver > 1 ? cuts[1] : OPEN_END,
            .type = def->type,
            .sla_s = def->sla_s,
            .cost_e6 = a == 3 ? 0 : (int64_t)rng_int(&r, 50, 25000),
            .caps = a == 5 ? NULL : caps_pool[a % CAPS_POOL_N],
        };
        w->versions[w->nversions++] = v0;
        struct version prev = v0;
        for (int v = 1; v < ag->nver; v++) {
            struct version nv = prev;
            nv.from_us = cuts[v];
            nv.to_us = v + 1 < ag->nver ? cuts[v + 1] : OPEN_END;
            nv.caps = caps_pool[rng_int(&r, 0, CAPS_POOL_N - 1)];
            nv.sla_s = prev.sla_s < 0 ? 300 : prev.sla_s + 60 * rng_int(&r, -2, 3);
            if (nv.sla_s <= 0) nv.sla_s = 30;
            if (v == 2) nv.type = type_pool[rng_int(&r, 0, 6)];
            nv.cost_e6 = prev.cost_e6 + rng_int(&r, 1, 999);
            later[nlater++] = nv;
            prev = nv;
        }
    }
    qsort(later, (size_t)nlater, sizeof(later[0]), cmp_version_from);
    for (int i = 0; i < nlater; i++) {
        later[i].key = w->nversions + 1;
        w->versions[w->nversions++] = later[i];
    }
    for (int a = 0; a < w->nagents; a++)
        w->agents[a].nver = 0;
    for (int i = 0; i < w->nversions; i++) { /* keys ascend with valid_from per agent */
        struct agent *ag = &w->agents[w->versions[i].agent];
        ag->ver[ag->nver++] = i;
    }
}

/* The key of agent a's version valid at t (valid_from <= t < valid_to). */
static int agent_key_at(const struct world *w, int a, int64_t t)
{
    const struct agent *ag = &w->agents[a];
    for (int v = ag->nver - 1; v > 0; v--) {
        if (w->versions[ag->ver[v]].from_us <= t) return w->versions[ag->ver[v]].key;
    }
    return w->versions[ag->ver[0]].key;
}

static const struct version *version_of_key(const struct world *w, int key)
{
    return &w->versions[key - 1];
}

static void write_dim_agent(const struct world *w)
{
    static const char *const cols[] = {"agent_key",    "agent_name",         "agent_type",
                                       "capabilities", "sla_target_seconds", "cost_per_query_usd",
                                       "valid_from",   "valid_to",           "is_current"};
    struct out o;
    out_open(&o, w->dir, "dim_agent", w->formats, cols, 9);
    for (int i = 0; i < w->nversions; i++) {
        const struct version *v = &w->versions[i];
        f_int(&o, v->key);
        f_text(&o, agent_pool[v->agent].name);
        f_text(&o, v->type);
        f_text(&o, v->caps);
        f_int(&o, v->sla_s < 0 ? NIL : v->sla_s);
        f_numeric(&o, v->cost_e6, 6);
        f_ts(&o, v->from_us);
        f_ts(&o, v->to_us == OPEN_END ? NIL : v->to_us);
        f_bool(&o, v->to_us == OPEN_END);
        end_row(&o);
    }
    out_close(&o);
}

static void write_dim_time(const struct world *w)
{
    static const char *const cols[] = {
        "time_key",     "full_date",   "year",           "quarter",  "month",      "week",
        "day_of_month", "day_of_week", "day_of_year",    "day_name", "month_name", "is_weekend",
        "is_holiday",   "fiscal_year", "fiscal_quarter", "hour",     "minute"};
    /* TO_CHAR(d, 'Day') and 'Month' pad to the longest name, 9 characters. */
    static const char *const day_names[7] = {"Sunday   ", "Monday   ", "Tuesday  ", "Wednesday",
                                             "Thursday ", "Friday   ", "Saturday "};
    static const char *const month_names[12] = {"January  ", "February ", "March    ", "April    ",
                                                "May      ", "June     ", "July     ", "August   ",
                                                "September", "October  ", "November ", "December "};
    struct out o;
    out_open(&o, w->dir, "dim_time", w->formats, cols, 17);
    const int64_t first = w->start_day - DIM_TIME_MARGIN_DAYS;
    const int64_t last = w->start_day + w->days - 1 + DIM_TIME_MARGIN_DAYS;
    for (int64_t z = first; z <= last; z++) {
        int64_t y;
        unsigned m, d;
        civil_from_days(z, &y, &m, &d);
        const int dow = day_of_week(z);
        f_int(&o, y * 10000 + m * 100 + d);
        f_date(&o, z);
        f_int(&o, y);
        f_int(&o, (m - 1) / 3 + 1);
        f_int(&o, m);
        f_int(&o, iso_week(z));
        f_int(&o, d);
        f_int(&o, dow);
        f_int(&o, day_of_year(z));
        f_text(&o, day_names[dow]);
        f_text(&o, month_names[m - 1]);
        f_bool(&o, dow == 0 || dow == 6);
        f_bool(&o, 0);
        for (int i = 0; i < 4; i++)
            f_null(&o);
        end_row(&o);
    }
    out_close(&o);
}

static void write_dim_user(const struct world *w)
{
    static const char *const cols[] = {"user_key",   "user_id",  "user_type", "team",
                                       "valid_from", "valid_to", "is_current"};
    struct out o;
    out_open(&o, w->dir, "dim_user", w->formats, cols, 7);
    for (int i = 0; i < USER_POOL_N; i++) {
        const bool retired = i == USER_RETIRED;
        f_int(&o, i + 1);
        f_text(&o, user_pool[i].id);
        f_text(&o, user_pool[i].type);
        f_text(&o, user_pool[i].team);
        f_ts(&o, w->user_from_us[i]);
        f_ts(&o, retired ? start_us(w) - 5 * USEC_PER_DAY + 123456 : NIL);
        f_bool(&o, !retired);
        end_row(&o);
    }
    out_close(&o);
}

static void make_users(struct world *w)
{
    struct rng r;
    rng_init(&r, w->seed, 2);
    for (int i = 0; i < USER_POOL_N; i++) {
        const int64_t back = 60 * USEC_PER_DAY - (int64_t)rng_below(&r, (uint64_t)USEC_PER_DAY);
        w->user_from_us[i] = rng_trim_fraction(&r, start_us(w) - back);
    }
}

/* Conversations are born uniformly over the range; a fact picks one born near its time. */
static void make_convs(struct world *w)
{
    struct rng r;
    rng_init(&r, w->seed, 3);
    w->nconvs = w->rows / 100 > 0 ? w->rows / 100 : 1;
    w->convs = calloc((size_t)w->nconvs, sizeof(*w->convs));
    if (w->convs == NULL) {
        fprintf(stderr, "colgen: out of memory\n");
        exit(EXIT_IO);
    }
    const double step = (double)span_us(w) / (double)w->nconvs;
    for (int64_t i = 0; i < w->nconvs; i++) {
        struct conv *c = &w->convs[i];
        const int64_t t = start_us(w) + (int64_t)(step * ((double)i + rng_unit(&r)));
        c->born_us = rng_trim_fraction(&r, t);
        c->first_us = INT64_MAX;
        c->last_us = INT64_MIN;
    }
}

static int64_t pick_conv(struct world *w, struct rng *r, int64_t t)
{
    const double pos = (double)(t - start_us(w)) / (double)span_us(w) * (double)w->nconvs;
    int64_t i = (int64_t)(pos + 3.0 * rng_normal(r)) - 1;
    if (i < 0) i = 0;
    if (i >= w->nconvs) i = w->nconvs - 1;
    struct conv *c = &w->convs[i];
    if (t < c->first_us) c->first_us = t;
    if (t > c->last_us) c->last_us = t;
    return i;
}

static void conv_id(char *buf, size_t size, int64_t i, struct rng *r)
{
    static const char *const odd[] = {
        "support \"vip\" #%lld",
        "thread,%lld",
        "C:\\tickets\\%lld",
        "tab\there %lld",
        "multi\nline %lld",
        "  padded %lld ",
        "%lld",
        "ünïcode-%lld",
        "N%lld",
        "semi;colon %lld",
    };
    const long long n = (long long)i + 1;
    if (i % 17 == 5) {
        const int k = (int)((i / 17) % (int64_t)(sizeof(odd) / sizeof(odd[0])));
        snprintf(buf, size, odd[k], n);
    } else {
        snprintf(buf, size, "conv-%06lld-%04x", n, (unsigned)rng_below(r, 65536));
    }
}

static void write_dim_conversation(struct world *w)
{
    static const char *const cols[] = {"conv_key",       "conversation_id", "first_seen_at",
                                       "last_seen_at",   "total_queries",   "total_approvals",
                                       "total_feedback", "metadata"};
    static const char *const meta[] = {
        "{}",
        "{\"channel\": \"web\"}",
        "{\"channel\": \"slack\", \"priority\": 2}",
        "{\"note\": \"say \\\"hi\\\"\\tnow\"}",
        "{\"tags\": [\"a,b\", \"c\"], \"channel\": \"api\"}",
    };
    static const double meta_w[] = {0.6, 0.15, 0.1, 0.05, 0.05};
    struct rng r;
    rng_init(&r, w->seed, 4);
    struct out o;
    out_open(&o, w->dir, "dim_conversation", w->formats, cols, 8);
    for (int64_t i = 0; i < w->nconvs; i++) {
        struct conv *c = &w->convs[i];
        char id[64];
        conv_id(id, sizeof(id), i, &r);
        const int64_t first = c->first_us == INT64_MAX ? c->born_us : c->first_us;
        const int64_t last = c->last_us == INT64_MIN ? c->born_us : c->last_us;
        f_int(&o, i + 1);
        f_text(&o, id);
        f_ts(&o, first);
        f_ts(&o, last);
        f_int(&o, c->queries);
        f_int(&o, c->approvals);
        f_int(&o, c->feedback);
        f_text(&o, rng_chance(&r, 0.05) ? NULL : meta[rng_pick(&r, meta_w, 5)]);
        end_row(&o);
    }
    out_close(&o);
}

/* ---------------------------------------------------------------- rows per day */

/* Splits `total` rows over the days in proportion to weights (cumulative rounding, exact). */
static void spread(int64_t *out, const double *weights, int days, int64_t total)
{
    double sum = 0;
    for (int d = 0; d < days; d++)
        sum += weights[d];
    double acc = 0;
    int64_t given = 0;
    for (int d = 0; d < days; d++) {
        acc += weights[d];
        const int64_t upto = sum > 0 ? (int64_t)((double)total * (acc / sum)) : 0;
        out[d] = (d == days - 1 ? total : upto) - given;
        if (out[d] < 0) out[d] = 0;
        given += out[d];
    }
}

/* Queries per day: weekdays busier, +-30 % noise, two or three days with exactly one row and,
 * in ranges of 20 days or more, one day with none. */
static void plan_days(struct world *w)
{
    struct rng r;
    rng_init(&r, w->seed, 5);
    const int days = w->days;
    double *weight = calloc((size_t)days, sizeof(*weight));
    int *special = calloc((size_t)days, sizeof(*special)); /* 1: one row, 2: none */
    w->day_queries = calloc((size_t)days, sizeof(*w->day_queries));
    if (weight == NULL || special == NULL || w->day_queries == NULL) {
        fprintf(stderr, "colgen: out of memory\n");
        exit(EXIT_IO);
    }
    int ones = days >= 30 ? 3 : days >= 5 ? 2 : 0;
    const int empties = days >= 20 ? 1 : 0;
    int64_t reserved = 0;
    for (int k = 0; k < ones + empties && (int64_t)ones <= w->rows; k++) {
        int d;
        do
            d = rng_int(&r, 0, days - 1);
        while (special[d] != 0);
        special[d] = k < ones ? 1 : 2;
        reserved += k < ones ? 1 : 0;
    }
    for (int d = 0; d < days; d++) {
        const int dow = day_of_week(w->start_day + d);
        weight[d] =
            special[d] ? 0 : (dow == 0 || dow == 6 ? 0.6 : 1.0) * (0.7 + 0.6 * rng_unit(&r));
    }
    spread(w->day_queries, weight, days, w->rows - reserved);
    w->max_day_rows = 1;
    for (int d = 0; d < days; d++) {
        if (special[d] == 1) w->day_queries[d] = 1;
        if (w->day_queries[d] > w->max_day_rows) w->max_day_rows = w->day_queries[d];
    }
    w->day_buf = malloc(sizeof(*w->day_buf) * (size_t)w->max_day_rows);
    if (w->day_buf == NULL) {
        fprintf(stderr, "colgen: out of memory\n");
        exit(EXIT_IO);
    }
    free(weight);
    free(special);
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Fills w->day_buf with n sorted creation times on day d. */
static void day_times(struct world *w, struct rng *r, int d, int64_t n)
{
    const int64_t base = (w->start_day + d) * USEC_PER_DAY;
    for (int64_t i = 0; i < n; i++)
        w->day_buf[i] = base + rng_trim_fraction(r, (int64_t)rng_below(r, (uint64_t)USEC_PER_DAY));
    qsort(w->day_buf, (size_t)n, sizeof(int64_t), cmp_i64);
}

/* Rows per day of a smaller fact table, in proportion to the day's queries. */
static int64_t *plan_share(const struct world *w, int64_t total)
{
    double *weight = calloc((size_t)w->days, sizeof(*weight));
    int64_t *out = calloc((size_t)w->days, sizeof(*out));
    if (weight == NULL || out == NULL) {
        fprintf(stderr, "colgen: out of memory\n");
        exit(EXIT_IO);
    }
    for (int d = 0; d < w->days; d++)
        weight[d] = (double)w->day_queries[d];
    spread(out, weight, w->days, total);
    free(weight);
    return out;
}

static int32_t time_key_of(int64_t us)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(us, USEC_PER_DAY), &y, &m, &d);
    return (int32_t)(y * 10000 + m * 100 + d);
}

/* ---------------------------------------------------------------- facts */

static void put_hash(struct out *o, struct rng *r, uint64_t ring[64][2])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h[2];
    const uint64_t slot = rng_below(r, 64);
    if (rng_chance(r, 0.05) && ring[slot][0] != 0) { /* the same query text again */
        h[0] = ring[slot][0];
        h[1] = ring[slot][1];
    } else {
        h[0] = rng_next(r);
        h[1] = rng_next(r);
        ring[slot][0] = h[0];
        ring[slot][1] = h[1];
    }
    char b[32];
    for (int i = 0; i < 32; i++)
        b[i] = hex[(h[i / 16] >> (60 - 4 * (i % 16))) & 15];
    f_raw(o, b, 32);
}

static void write_fact_agent_query(struct world *w)
{
    static const char *const cols[] = {"query_key",      "agent_key",  "time_key",
                                       "conv_key",       "query_hash", "result_size_bytes",
                                       "latency_ms",     "approved",   "human_edited",
                                       "error_occurred", "created_at"};
    static const double approved_w[3] = {0.70, 0.15, 0.15}; /* t, f, NULL */
    static uint64_t ring[64][2];
    struct rng r;
    rng_init(&r, w->seed, 10);
    struct out o;
    out_open(&o, w->dir, "fact_agent_query", w->formats, cols, 11);
    int64_t key = 0;
    for (int d = 0; d < w->days; d++) {
        const int64_t n = w->day_queries[d];
        day_times(w, &r, d, n);
        for (int64_t i = 0; i < n; i++) {
            const int64_t t = w->day_buf[i];
            const int a = rng_pick(&r, w->agent_weights, w->nagents);
            const int64_t c = pick_conv(w, &r, t);
            w->convs[c].queries++;
            double lat = rng_lognormal(&r, 800.0, 0.9);
            if (rng_chance(&r, 0.006)) lat *= 20.0 + 80.0 * rng_unit(&r); /* > 60 s tail */
            if (lat < 1) lat = 1;
            if (lat > 900000) lat = 900000;
            int64_t size = NIL;
            if (!rng_chance(&r, 0.1))
                size = rng_chance(&r, 0.03) ? 0 : (int64_t)rng_lognormal(&r, 4096.0, 1.5);
            if (size != NIL && size > 2000000000) size = 2000000000;
            const int ap = rng_pick(&r, approved_w, 3);
            f_int(&o, ++key);
            f_int(&o, agent_key_at(w, a, t));
            f_int(&o, time_key_of(t));
            f_int(&o, c + 1);
            put_hash(&o, &r, ring);
            f_int(&o, size);
            f_int(&o, (int64_t)lat);
            f_bool(&o, ap == 2 ? -1 : ap == 0);
            f_bool(&o, rng_chance(&r, 0.12));
            f_bool(&o, rng_chance(&r, 0.03));
            f_ts(&o, t);
            end_row(&o);
        }
    }
    out_close(&o);
}

static int pick_user(struct rng *r, const char *type, const char *alt)
{
    for (;;) {
        const int u = rng_int(r, 0, USER_POOL_N - 1);
        if (strcmp(user_pool[u].type, type) == 0) return u;
        if (alt != NULL && strcmp(user_pool[u].type, alt) == 0 && rng_chance(r, 0.3)) return u;
    }
}

static void write_fact_approval(struct world *w)
{
    static const char *const cols[] = {"approval_key",
                                       "agent_key",
                                       "time_key",
                                       "conv_key",
                                       "approved_by_key",
                                       "status",
                                       "resolution_time_seconds",
                                       "interruption_count",
                                       "sla_met",
                                       "created_at",
                                       "resolved_at"};
    static const char *const statuses[4] = {"pending", "approved", "rejected", "expired"};
    static const double status_w[4] = {0.10, 0.60, 0.20, 0.10};
    struct rng r;
    rng_init(&r, w->seed, 11);
    int64_t *per_day = plan_share(w, w->rows / 10);
    struct out o;
    out_open(&o, w->dir, "fact_approval", w->formats, cols, 11);
    int64_t key = 0;
    for (int d = 0; d < w->days; d++) {
        day_times(w, &r, d, per_day[d]);
        for (int64_t i = 0; i < per_day[d]; i++) {
            const int64_t t = w->day_buf[i];
            const int agent_key =
                rng_chance(&r, 0.03)
                    ? -1
                    : agent_key_at(w, rng_pick(&r, w->agent_weights, w->nagents), t);
            const int64_t c = pick_conv(w, &r, t);
            w->convs[c].approvals++;
            const int st = rng_pick(&r, status_w, 4);
            int64_t resolved = NIL, res_s = NIL, by = NIL;
            if (st != 0) {
                double secs =
                    st == 3 ? 86400.0 + rng_unit(&r) * 86400.0 : rng_lognormal(&r, 240.0, 1.3);
                const int64_t dt = rng_trim_fraction(&r, (int64_t)(secs * 1e6));
                resolved = t + dt;
                res_s = floor_div(resolved - t, USEC_PER_SEC);
                if (!rng_chance(&r, 0.05)) by = pick_user(&r, "approver", "qa_team") + 1;
            }
            int sla_met = -1;
            if (agent_key > 0 && res_s != NIL) {
                const int sla = version_of_key(w, agent_key)->sla_s;
                if (sla >= 0) sla_met = res_s <= sla;
            }
            f_int(&o, ++key);
            f_int(&o, agent_key < 0 ? NIL : agent_key);
            f_int(&o, time_key_of(t));
            f_int(&o, c + 1);
            f_int(&o, by);
            f_text(&o, statuses[st]);
            f_int(&o, res_s);
            f_int(&o, rng_chance(&r, 0.02) ? NIL : rng_chance(&r, 0.6) ? 0 : rng_int(&r, 1, 4));
            f_bool(&o, sla_met);
            f_ts(&o, t);
            f_ts(&o, resolved);
            end_row(&o);
        }
    }
    free(per_day);
    out_close(&o);
}

/* One text[] element as array_out prints it: quoted when empty, "NULL" in any case, or
 * holding a quote, backslash, brace, comma or white space; quotes and backslashes escaped. */
static size_t array_elem(char *p, const char *v)
{
    if (v == NULL) {
        memcpy(p, "NULL", 4); // NOLINT(bugprone-not-null-terminated-result): counted bytes
        return 4;
    }
    const size_t n = strlen(v);
    bool quote = n == 0 || (n == 4 && (v[0] | 32) == 'n' && (v[1] | 32) == 'u' &&
                            (v[2] | 32) == 'l' && (v[3] | 32) == 'l');
    for (size_t i = 0; i < n && !quote; i++)
        quote = strchr("\"\\{}, \t\n\r\v\f", v[i]) != NULL;
    if (!quote) {
        memcpy(p, v, n); // NOLINT(bugprone-not-null-terminated-result): counted bytes
        return n;
    }
    size_t k = 0;
    p[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"' || v[i] == '\\') p[k++] = '\\';
        p[k++] = v[i];
    }
    p[k++] = '"';
    return k;
}

static void put_labels(struct out *o, struct rng *r)
{
    static const char *const common[] = {"accurate", "helpful", "needs work", "concise",
                                         "off-topic"};
    static const char *const odd[] = {"a,b", "q\"x",     "back\\slash", "NULL",      NULL,
                                      "",    "{braces}", "tab\tinside", "très bien", "line\nbreak",
                                      "null"};
    const double u = rng_unit(r);
    if (u < 0.04) {
        f_null(o);
        return;
    }
    char buf[512];
    size_t k = 0;
    buf[k++] = '{';
    const int n = u < 0.34 ? 0 : rng_int(r, 1, 3);
    for (int i = 0; i < n; i++) {
        if (i > 0) buf[k++] = ',';
        const char *v = rng_chance(r, 0.12)
                            ? odd[rng_below(r, sizeof(odd) / sizeof(odd[0]))]
                            : common[rng_below(r, sizeof(common) / sizeof(common[0]))];
        k += array_elem(buf + k, v);
    }
    buf[k++] = '}';
    buf[k] = '\0';
    f_text(o, buf);
}

static int pick_score(struct rng *r)
{
    static const double w[6] = {0.07, 0.05, 0.09, 0.23, 0.33, 0.23}; /* NULL, 1..5 */
    const int s = rng_pick(r, w, 6);
    return s == 0 ? -1 : s;
}

static void write_fact_training(struct world *w)
{
    static const char *const cols[] = {
        "training_key", "agent_key",     "time_key",       "conv_key",   "annotator_key",
        "safe_to_send", "clarity_score", "accuracy_score", "tone_score", "overall_score",
        "labels",       "created_at",    "annotated_at"};
    static const double safe_w[3] = {0.78, 0.14, 0.08}; /* t, f, NULL */
    struct rng r;
    rng_init(&r, w->seed, 12);
    int64_t *per_day = plan_share(w, w->rows / 20);
    struct out o;
    out_open(&o, w->dir, "fact_training", w->formats, cols, 13);
    int64_t key = 0;
    for (int d = 0; d < w->days; d++) {
        day_times(w, &r, d, per_day[d]);
        for (int64_t i = 0; i < per_day[d]; i++) {
            const int64_t t = w->day_buf[i];
            const int agent_key =
                rng_chance(&r, 0.03)
                    ? -1
                    : agent_key_at(w, rng_pick(&r, w->agent_weights, w->nagents), t);
            const int64_t c = pick_conv(w, &r, t);
            w->convs[c].feedback++;
            const int64_t annotator =
                rng_chance(&r, 0.05) ? NIL : pick_user(&r, "annotator", "qa_team") + 1;
            const int safe = rng_pick(&r, safe_w, 3);
            int score[3], sum = 0;
            for (int k = 0; k < 3; k++) {
                score[k] = pick_score(&r);
                sum += score[k] < 0 ? 0 : score[k];
            }
            /* (sum / 3.0)::numeric(3,2), rounded half away from zero */
            int64_t overall = sum * 100 / 3 + (sum * 100 % 3 == 2 ? 1 : 0);
            f_int(&o, ++key);
            f_int(&o, agent_key < 0 ? NIL : agent_key);
            f_int(&o, time_key_of(t));
            f_int(&o, c + 1);
            f_int(&o, annotator);
            f_bool(&o, safe == 2 ? -1 : safe == 0);
            for (int k = 0; k < 3; k++)
                f_int(&o, score[k] < 0 ? NIL : score[k]);
            f_numeric(&o, overall, 2);
            put_labels(&o, &r);
            f_ts(&o, t);
            f_ts(&o,
                 rng_chance(&r, 0.1)
                     ? NIL
                     : t + rng_trim_fraction(&r, (int64_t)(rng_lognormal(&r, 3600.0, 1.0) * 1e6)));
            end_row(&o);
        }
    }
    free(per_day);
    out_close(&o);
}

/* ---------------------------------------------------------------- operational exports (--ops)
 *
 * The nightly job's input (docs/contract.md): DIR/dim_time.* and, for each night k, DIR/night-NNN/ with
 * agents.*, agent_queries.*, agent_approvals.*, agent_feedback.* (COPY text and/or CSV with a
 * header, as `COPY t TO` prints them with TimeZone UTC) and load_time (the --load-time to use:
 * the next day, 03:00 UTC). Night k holds the rows created on day start + k, plus
 * - late rows: ~1 % created 1 to 7 days earlier, with new ids;
 * - rows sent again: ~0.5 % of the previous night's rows, the same values;
 * - out-of-order commits: two ids of each night held back to the next night's export (created
 *   the previous afternoon, so a pull's overlap window sees them);
 * - agents: every agent's current definition; one agent ("zeta_ops") is new from night 1, one
 *   ("data") changes its sla and capabilities at night nights/2, one has a NULL
 *   sla_target_seconds, one NULL capabilities;
 * - unresolved approvals, NULL approvers and agents, empty and NULL labels, NULL scores, new
 *   users, conversations no query mentions, and text needing every COPY escape and CSV quote.
 * A row's values are a function of (seed, table, id), so a row sent again is the same row. */

struct ops_agent {
    const char *name, *type, *caps;
    int sla_s; /* -1: NULL */
    int64_t cost_e6;
    int from_night;
};

static const struct ops_agent ops_agents[] = {
    {"data", "data", "[\"query\", \"analytics\", \"schema\"]", 300, 1500, 0},
    {"Support Tier 2", "support", "[]", 180, 250000, 0},
    {"billing,refunds", "ops", NULL, 600, 0, 0},
    {"sql \"helper\"", "data", "[\"sql\", \"a\\\"b\", \"tab\\tx\"]", -1, 1, 0},
    {"back\\office", "ops", "{\"tier\": 2, \"tools\": [\"search\", \"browse\"]}", 900, 123456, 0},
    {"ünïcode agent", "marketing", "[\"content\", \"seo\", \"social\", \"ünïcode\"]", 900, 999999,
     0},
    {"zeta_ops", "ops", "[\"code\", \"debug\", \"deploy\"]", 60, 42, 1},
};
#define OPS_AGENTS_N (int)(sizeof(ops_agents) / sizeof(ops_agents[0]))

struct ops {
    uint64_t seed;
    int64_t per_night; /* queries a night */
    int64_t start_day;
    int nights;
    const char *dir;
    int formats;
    int64_t next_id[3];  /* next operational id of queries, approvals, feedback */
    int64_t *prev_id[3]; /* the previous night's ids (for rows sent again) */
    int64_t *prev_at[3]; /* and their created_at */
    int *prev_night[3];  /* and the night each was first written (its values depend on it) */
    int64_t nprev[3], prev_cap[3];
    int64_t held_id[3][2], held_at[3][2]; /* held back for the next night (from night - 1) */
    int nheld[3];
    int64_t nconvs; /* conversations born so far */
};

static struct rng row_rng(const struct ops *g, int table, int64_t id)
{
    struct rng r;
    rng_init(&r, g->seed ^ ((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)), (uint64_t)table + 20);
    return r;
}

static void ops_conv_id(char *buf, size_t size, int64_t i)
{
    static const char *const odd[] = {
        "support \"vip\" #%lld", "thread,%lld",  "C:\\tickets\\%lld", "tab\there %lld",
        "multi\nline %lld",      "ünïcode-%lld", "\\N %lld",          "  padded %lld "};
    const long long n = (long long)i + 1;
    if (i % 13 == 4)
        snprintf(buf, size, odd[(i / 13) % (int64_t)(sizeof(odd) / sizeof(odd[0]))], n);
    else
        snprintf(buf, size, "conv-%06lld", n);
}

/* A conversation of night k: mostly recent ones (born in the last three nights). */
static int64_t ops_pick_conv(const struct ops *g, struct rng *r, int night)
{
    const int64_t per = g->per_night / 100 > 0 ? g->per_night / 100 : 1;
    const int64_t hi = (int64_t)(night + 1) * per;
    int64_t lo = hi - 3 * per;
    if (lo < 0) lo = 0;
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo));
}

static bool ops_agent_active(const struct ops *g, int a, int night)
{
    (void)g;
    return ops_agents[a].from_night <= night;
}

static int ops_pick_agent(const struct ops *g, struct rng *r, int night)
{
    for (;;) {
        const int a = (int)rng_below(r, OPS_AGENTS_N);
        if (ops_agent_active(g, a, night)) return a;
    }
}

static const char *ops_user(struct rng *r, const char *type, int night, char *buf, size_t size)
{
    if (rng_chance(r, 0.02)) { /* a user the warehouse has not seen yet */
        snprintf(buf, size, "%s-%d-%d", type, night, rng_int(r, 1, 3));
        return buf;
    }
    return user_pool[pick_user(r, type, NULL)].id;
}

static void ops_query_text(char *buf, size_t size, struct rng *r, int64_t id)
{
    static const char *const tpl[] = {
        "SELECT count(*) FROM orders WHERE day = %lld",
        "how many tickets were \"escalated\" on day %lld?",
        "refund status for order #%lld, please",
        "path C:\\reports\\%lld\\q.sql",
        "tab\tseparated %lld",
        "two\nlines %lld",
        "ünïcode résumé %lld",
        "\\N is not null %lld",
        "",
    };
    const int k = (int)rng_below(r, sizeof(tpl) / sizeof(tpl[0]));
    if (tpl[k][0] == '\0') {
        buf[0] = '\0'; /* an empty query */
        return;
    }
    snprintf(buf, size, tpl[k], (long long)(id % 1000));
}

static void ops_write_query(const struct ops *g, struct out *o, int64_t id, int64_t at, int night)
{
    struct rng r = row_rng(g, 0, id);
    char text[256], conv[96];
    ops_conv_id(conv, sizeof(conv), ops_pick_conv(g, &r, night));
    ops_query_text(text, sizeof(text), &r, id);
    double lat = rng_lognormal(&r, 800.0, 0.9);
    if (lat < 1) lat = 1;
    if (lat > 900000) lat = 900000;
    static const double approved_w[3] = {0.70, 0.15, 0.15};
    const int ap = rng_pick(&r, approved_w, 3);
    f_int(o, id);
    f_text(o, ops_agents[ops_pick_agent(g, &r, night)].name);
    f_text(o, conv);
    f_text(o, text);
    f_int(o, rng_chance(&r, 0.1) ? NIL : (int64_t)rng_lognormal(&r, 4096.0, 1.5));
    f_int(o, (int64_t)lat);
    f_bool(o, ap == 2 ? -1 : ap == 0);
    f_bool(o, rng_chance(&r, 0.12));
    f_bool(o, rng_chance(&r, 0.03));
    f_ts(o, at);
    end_row(o);
}

static void
ops_write_approval(const struct ops *g, struct out *o, int64_t id, int64_t at, int night)
{
    struct rng r = row_rng(g, 1, id);
    char conv[96], user[64];
    /* now and then a conversation no query mentions */
    if (rng_chance(&r, 0.02))
        snprintf(conv, sizeof(conv), "approval-only %lld", (long long)id);
    else
        ops_conv_id(conv, sizeof(conv), ops_pick_conv(g, &r, night));
    const bool resolved = !rng_chance(&r, 0.15);
    static const char *const done[3] = {"approved", "rejected", "expired"};
    f_int(o, id);
    if (rng_chance(&r, 0.03))
        f_null(o);
    else
        f_text(o, ops_agents[ops_pick_agent(g, &r, night)].name);
    f_text(o, conv);
    if (rng_chance(&r, 0.05))
        f_null(o);
    else
        f_text(o, ops_user(&r, "approver", night, user, sizeof(user)));
    f_text(o, resolved ? done[rng_below(&r, 3)] : "pending");
    f_int(o, rng_chance(&r, 0.03) ? NIL : rng_int(&r, 0, 4));
    f_ts(o, at);
    f_ts(o, resolved ? at + rng_trim_fraction(&r, (int64_t)(rng_lognormal(&r, 240.0, 1.2) * 1e6))
                     : NIL);
    end_row(o);
}

static void
ops_write_feedback(const struct ops *g, struct out *o, int64_t id, int64_t at, int night)
{
    struct rng r = row_rng(g, 2, id);
    char conv[96], user[64];
    if (rng_chance(&r, 0.02))
        snprintf(conv, sizeof(conv), "feedback-only %lld", (long long)id);
    else
        ops_conv_id(conv, sizeof(conv), ops_pick_conv(g, &r, night));
    static const double safe_w[3] = {0.78, 0.14, 0.08};
    f_int(o, id);
    if (rng_chance(&r, 0.03))
        f_null(o);
    else
        f_text(o, ops_agents[ops_pick_agent(g, &r, night)].name);
    f_text(o, conv);
    if (rng_chance(&r, 0.05))
        f_null(o);
    else
        f_text(o, ops_user(&r, "annotator", night, user, sizeof(user)));
    const int safe = rng_pick(&r, safe_w, 3);
    f_bool(o, safe == 2 ? -1 : safe == 0);
    for (int k = 0; k < 3; k++) {
        const int sc = pick_score(&r);
        f_int(o, sc < 0 ? NIL : sc);
    }
    put_labels(o, &r);
    f_ts(o, at);
    f_ts(o, rng_chance(&r, 0.1)
                ? NIL
                : at + rng_trim_fraction(&r, (int64_t)(rng_lognormal(&r, 3600.0, 1.0) * 1e6)));
    end_row(o);
}

static void ops_write_agents(const struct ops *g, const char *dir, int night)
{
    static const char *const cols[] = {"agent_name", "agent_type", "capabilities",
                                       "sla_target_seconds", "cost_per_query_usd"};
    struct out o;
    out_open(&o, dir, "agents", g->formats, cols, 5);
    const int change = g->nights / 2;
    for (int a = 0; a < OPS_AGENTS_N; a++) {
        if (!ops_agent_active(g, a, night)) continue;
        const struct ops_agent *d = &ops_agents[a];
        const bool changed = a == 0 && night >= change && change > 0;
        f_text(&o, d->name);
        f_text(&o, d->type);
        f_text(&o, changed ? "[\"query\", \"analytics\", \"schema\", \"forecast\"]" : d->caps);
        f_int(&o, changed ? 150 : d->sla_s < 0 ? NIL : d->sla_s);
        f_numeric(&o, d->cost_e6, 6);
        end_row(&o);
    }
    out_close(&o);
}

static void ops_remember(struct ops *g, int t, int64_t id, int64_t at, int night)
{
    if (g->nprev[t] == g->prev_cap[t]) {
        g->prev_cap[t] = g->prev_cap[t] ? 2 * g->prev_cap[t] : 1024;
        g->prev_id[t] = realloc(g->prev_id[t], (size_t)g->prev_cap[t] * sizeof(int64_t));
        g->prev_at[t] = realloc(g->prev_at[t], (size_t)g->prev_cap[t] * sizeof(int64_t));
        g->prev_night[t] = realloc(g->prev_night[t], (size_t)g->prev_cap[t] * sizeof(int));
        if (g->prev_id[t] == NULL || g->prev_at[t] == NULL || g->prev_night[t] == NULL) {
            fprintf(stderr, "colgen: out of memory\n");
            exit(EXIT_IO);
        }
    }
    g->prev_id[t][g->nprev[t]] = id;
    g->prev_at[t][g->nprev[t]] = at;
    g->prev_night[t][g->nprev[t]] = night;
    g->nprev[t]++;
}

typedef void (*ops_row_fn)(const struct ops *, struct out *, int64_t, int64_t, int);

/* One operational fact export of night k: held-back rows of the previous night, the night's
 * rows (some held back), late rows, rows of the previous night sent again. */
static void
ops_write_facts(struct ops *g, const char *dir, int t, int night, int64_t n, struct rng *r)
{
    static const char *const names[3] = {"agent_queries", "agent_approvals", "agent_feedback"};
    static const char *const qcols[] = {
        "id",         "agent",    "conversation_id", "query",          "result_size_bytes",
        "latency_ms", "approved", "human_edited",    "error_occurred", "created_at"};
    static const char *const acols[] = {"id",          "agent",      "conversation_id",
                                        "approved_by", "status",     "interruption_count",
                                        "created_at",  "resolved_at"};
    static const char *const fcols[] = {
        "id",           "agent",         "conversation_id", "annotator",
        "safe_to_send", "clarity_score", "accuracy_score",  "tone_score",
        "labels",       "created_at",    "annotated_at"};
    static const char *const *cols[3] = {qcols, acols, fcols};
    static const int ncols[3] = {10, 8, 11};
    static const ops_row_fn row[3] = {ops_write_query, ops_write_approval, ops_write_feedback};
    struct out o;
    out_open(&o, dir, names[t], g->formats, cols[t], ncols[t]);
    /* rows sent again: from the previous night's export */
    const int64_t nprev = g->nprev[t];
    for (int64_t i = 0; i < nprev; i++) {
        if (rng_chance(r, 0.005))
            row[t](g, &o, g->prev_id[t][i], g->prev_at[t][i], g->prev_night[t][i]);
    }
    g->nprev[t] = 0;
    for (int i = 0; i < g->nheld[t]; i++) {
        row[t](g, &o, g->held_id[t][i], g->held_at[t][i], night - 1);
        ops_remember(g, t, g->held_id[t][i], g->held_at[t][i], night - 1);
    }
    g->nheld[t] = 0;
    const int64_t day0 = (g->start_day + night) * USEC_PER_DAY;
    int64_t *at = malloc((size_t)(n + 1) * sizeof(int64_t));
    if (at == NULL) {
        fprintf(stderr, "colgen: out of memory\n");
        exit(EXIT_IO);
    }
    for (int64_t i = 0; i < n; i++)
        at[i] = day0 + rng_trim_fraction(r, (int64_t)rng_below(r, (uint64_t)USEC_PER_DAY));
    qsort(at, (size_t)n, sizeof(int64_t), cmp_i64);
    for (int64_t i = 0; i < n; i++) {
        const int64_t id = g->next_id[t]++;
        int64_t when = at[i];
        if (night > 0 && rng_chance(r, 0.01)) /* late: created 1 to 7 days ago */
            when -= (int64_t)rng_int(r, 1, 7) * USEC_PER_DAY;
        /* two of the afternoon's ids commit after the export ran */
        if (night + 1 < g->nights && g->nheld[t] < 2 && i > n / 2 &&
            at[i] >= day0 + USEC_PER_DAY / 2 && rng_chance(r, 0.01)) {
            g->held_id[t][g->nheld[t]] = id;
            g->held_at[t][g->nheld[t]] = when;
            g->nheld[t]++;
            continue;
        }
        row[t](g, &o, id, when, night);
        ops_remember(g, t, id, when, night);
    }
    free(at);
    out_close(&o);
}

static int ops_main(struct ops *g)
{
    if (mkdir(g->dir, 0777) != 0 && errno != EEXIST) die_io("create directory", g->dir);
    struct world w = {.seed = g->seed,
                      .start_day = g->start_day,
                      .days = g->nights,
                      .dir = g->dir,
                      .formats = g->formats};
    write_dim_time(&w);
    struct rng r;
    rng_init(&r, g->seed, 30);
    for (int k = 0; k < g->nights; k++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/night-%03d", g->dir, k + 1);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) die_io("create directory", dir);
        ops_write_agents(g, dir, k);
        ops_write_facts(g, dir, 0, k, g->per_night, &r);
        ops_write_facts(g, dir, 1, k, g->per_night / 10, &r);
        ops_write_facts(g, dir, 2, k, g->per_night / 20, &r);
        char path[4200], ts[48];
        snprintf(path, sizeof(path), "%s/load_time", dir);
        FILE *f = fopen(path, "wb");
        if (f == NULL) die_io("create", path);
        ts[fmt_ts(ts, (g->start_day + k + 1) * USEC_PER_DAY + 3 * INT64_C(3600000000))] = '\0';
        fprintf(f, "%s\n", ts);
        if (fclose(f) != 0) die_io("close", path);
    }
    for (int t = 0; t < 3; t++) {
        free(g->prev_id[t]);
        free(g->prev_at[t]);
        free(g->prev_night[t]);
    }
    return 0;
}

/* ---------------------------------------------------------------- main */

static const char usage[] =
    "usage: colgen --out DIR --rows N [--seed S] [--start YYYY-MM-DD] [--days D]\n"
    "              [--format text|csv|both]\n"
    "       colgen --ops --out DIR --rows N --nights K [--seed S] [--start YYYY-MM-DD]\n"
    "              [--format text|csv|both]\n"
    "\n"
    "Write PostgreSQL exports of the seven warehouse tables: DIR/<table>.copy (COPY text)\n"
    "and/or DIR/<table>.csv (CSV with a header). N is the row count of fact_agent_query;\n"
    "approvals N/10, training N/20, conversations N/100.\n"
    "\n"
    "Options:\n"
    "  --out DIR         the directory to write (created when missing)\n"
    "  --rows N          rows of fact_agent_query (0..1000000000)\n"
    "  --seed S          the seed of every random choice (default 1)\n"
    "  --start DATE      the first day of facts (default 2025-01-01)\n"
    "  --days D          days of facts (1..36500, default 365)\n"
    "  --format F        text, csv or both (default both)\n"
    "  --ops             the nightly job's operational exports instead: DIR/dim_time.* and\n"
    "                    DIR/night-NNN/{agents,agent_queries,agent_approvals,agent_feedback}.*\n"
    "                    and load_time for K nights from --start; N queries a night\n"
    "                    (approvals N/10, feedback N/20), late rows, rows sent again, an\n"
    "                    agent change and a new agent\n"
    "  --nights K        with --ops: the number of nights (1..36500)\n"
    "  -h, --help        print this help and exit\n"
    "  -V, --version     print the version and exit\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 3 I/O error.\n";

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

enum { O_OUT, O_ROWS, O_SEED, O_START, O_DAYS, O_FORMAT, O_OPS, O_NIGHTS, O_COUNT };
static const struct cli_opt opts[O_COUNT] = {
    [O_OUT] = {"out", "DIR"},      [O_ROWS] = {"rows", "N"},     [O_SEED] = {"seed", "S"},
    [O_START] = {"start", "DATE"}, [O_DAYS] = {"days", "D"},     [O_FORMAT] = {"format", "FORMAT"},
    [O_OPS] = {"ops", NULL},       [O_NIGHTS] = {"nights", "K"},
};

/* Options into w; -1 when they are all good, else the exit code (message printed). */
static int read_options(struct cli *c, struct world *w)
{
    int64_t n;
    if (c->npos > 0) return cli_usage(c, "unexpected argument %s", c->pos[0]);
    if (!cli_given(c, O_OUT) || !cli_given(c, O_ROWS))
        return cli_usage(c, "--out and --rows are required");
    w->dir = c->val[O_OUT];
    if (!parse_i64(c->val[O_ROWS], 0, INT64_C(1000000000), &w->rows))
        return cli_usage(c, "--rows: invalid value \"%s\" (0..1000000000)", c->val[O_ROWS]);
    if (cli_given(c, O_SEED)) {
        if (!parse_i64(c->val[O_SEED], 0, INT64_MAX, &n))
            return cli_usage(c, "--seed: invalid value \"%s\"", c->val[O_SEED]);
        w->seed = (uint64_t)n;
    }
    if (cli_given(c, O_START) && !parse_date(c->val[O_START], &w->start_day))
        return cli_usage(c, "--start: invalid date \"%s\" (YYYY-MM-DD)", c->val[O_START]);
    if (cli_given(c, O_DAYS)) {
        if (!parse_i64(c->val[O_DAYS], 1, 36500, &n))
            return cli_usage(c, "--days: invalid value \"%s\" (1..36500)", c->val[O_DAYS]);
        w->days = (int)n;
    }
    const char *f = c->val[O_FORMAT];
    if (f == NULL || strcmp(f, "both") == 0)
        w->formats = 3;
    else if (strcmp(f, "text") == 0)
        w->formats = 1;
    else if (strcmp(f, "csv") == 0)
        w->formats = 2;
    else
        return cli_usage(c, "--format must be text, csv or both, not \"%s\"", f);
    return -1;
}

int main(int argc, char **argv)
{
    struct world w = {.seed = 1, .rows = -1, .days = 365, .formats = 3};
    if (!parse_date("2025-01-01", &w.start_day)) return EXIT_USAGE;
    struct cli c = {.prog = "colgen", .usage = usage, .opt = opts, .nopt = O_COUNT};
    int rc = cli_parse(&c, argc, argv);
    if (rc < 0) rc = read_options(&c, &w);
    if (rc >= 0) return rc;
    if (w.dir == NULL) return EXIT_USAGE; /* cannot happen: read_options() requires --out */
    int64_t nights = -1;
    if (cli_given(&c, O_NIGHTS) && !parse_i64(c.val[O_NIGHTS], 1, 36500, &nights))
        return cli_usage(&c, "--nights: invalid value \"%s\" (1..36500)", c.val[O_NIGHTS]);
    if (cli_given(&c, O_OPS) != (nights > 0))
        return cli_usage(&c, "--ops and --nights go together");
    if (cli_given(&c, O_OPS)) {
        if (cli_given(&c, O_DAYS)) return cli_usage(&c, "--days does not apply to --ops");
        struct ops g = {.seed = w.seed,
                        .per_night = w.rows,
                        .start_day = w.start_day,
                        .nights = (int)nights,
                        .dir = w.dir,
                        .formats = w.formats,
                        .next_id = {1, 1, 1}};
        return ops_main(&g);
    }
    if (mkdir(w.dir, 0777) != 0 && errno != EEXIST) die_io("create directory", w.dir);

    make_agents(&w);
    make_users(&w);
    make_convs(&w);
    plan_days(&w);
    write_dim_agent(&w);
    write_dim_time(&w);
    write_dim_user(&w);
    write_fact_agent_query(&w); /* the facts fill in the conversations' first/last/totals */
    write_fact_approval(&w);
    write_fact_training(&w);
    write_dim_conversation(&w);
    free(w.convs);
    free(w.day_queries);
    free(w.day_buf);
    return 0;
}
