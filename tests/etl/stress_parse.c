/*
 * The parallel parse under ThreadSanitizer (Criterion's runner cannot start under TSan, so
 * this is a plain program): generated exports in both formats, with and without bad rows and a
 * rejects file, parsed with 1-3 workers and small blocks (many hand-offs, workers blocked on
 * full slots), from memory and from a mapped file; every run must match the sequential
 * parse (rows, line numbers, status, message, counters, rejects file). Exit 0 when all match.
 *
 * Build and run (TSan build dir):
 *   cc -g -fsanitize=thread -I. tests/etl/stress_parse.c build-tsan/engine/libcolstore.a \
 *      -llz4 -lxxhash -lpthread -lm && TSAN_OPTIONS=halt_on_error=1 ./a.out
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/parse.h"
#include "storage/base/limits.h"

struct outcome {
    int rc;
    char message[CS_ERROR_MESSAGE_SIZE];
    size_t rows, calls;
    uint64_t sum, bytes, lines, rejected; /* sum: keys and line numbers of every row */
    char *rejects;
    size_t rejects_len;
};

static char *generate(bool csv, size_t n, size_t bad_every, size_t *len)
{
    const size_t cap = n * 160 + 400;
    char *in = malloc(cap);
    size_t k = 0;
    if (csv)
        k += (size_t)snprintf(in, cap,
                              "query_key,agent_key,time_key,conv_key,query_hash,result_size_bytes,"
                              "latency_ms,approved,human_edited,error_occurred,created_at\n");
    const char sep = csv ? ',' : '\t';
    for (size_t r = 1; r <= n; r++) {
        const bool bad = bad_every > 0 && r % bad_every == 0;
        k += (size_t)snprintf(in + k, cap - k,
                              "%zu%c%zu%c20250304%c%zu%c0123456789abcdef0123456789abcdef%c%s%c%zu%c"
                              "%s%cf%cf%c2025-03-04 10:%02zu:12.%zu+00\n",
                              r, sep, r % 7, sep, sep, r % 1000, sep, sep,
                              r % 3 ? "12" : (csv ? "" : "\\N"), sep, r % 5000, sep,
                              bad ? "maybe" : "t", sep, sep, sep, r % 60, r % 1000);
    }
    *len = k;
    return in;
}

static int parse(const char *in,
                 size_t len,
                 bool csv,
                 bool rejects,
                 bool from_file,
                 int threads,
                 size_t block,
                 struct outcome *o)
{
    const struct cs_table_def *t = cs_schema_find_table("fact_agent_query");
    memset(o, 0, sizeof(*o));
    FILE *rej = rejects ? open_memstream(&o->rejects, &o->rejects_len) : NULL;
    struct cs_parse_opts opts = {
        .format = csv ? CS_FMT_CSV : CS_FMT_TEXT,
        .header = csv,
        .filename = "s",
        .rejects = rej,
        .threads = threads,
        .block_bytes = block,
    };
    struct cs_parser *p = NULL;
    struct cs_error err = {0};
    FILE *f = NULL;
    if (from_file) {
        f = tmpfile();
        if (f == NULL || fwrite(in, 1, len, f) != len || fflush(f) != 0) return 1;
        rewind(f);
        o->rc = cs_parser_open_fd(t, fileno(f), &opts, &p, &err);
    } else {
        o->rc = cs_parser_open_mem(t, in, len, &opts, &p, &err);
    }
    struct cs_batch b;
    cs_batch_init(&b, t);
    while (o->rc == CS_OK) {
        o->rc = cs_parser_next(p, &b, 4096, &err);
        o->calls++;
        if (o->rc != CS_OK || b.rows == 0) break;
        for (size_t r = 0; r < b.rows; r++)
            o->sum += (uint64_t)b.cols[0].i64[r] * 31 + b.line_no[r];
        o->rows += b.rows;
    }
    if (o->rc != CS_OK) memcpy(o->message, err.message, sizeof(o->message));
    if (p != NULL) {
        o->bytes = cs_parser_bytes(p);
        o->lines = cs_parser_lines(p);
        o->rejected = cs_parser_rejected(p);
    }
    cs_batch_free(&b);
    cs_parser_close(p);
    if (rej != NULL) fclose(rej);
    if (f != NULL) fclose(f);
    return 0;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
    return a->rc == b->rc && strcmp(a->message, b->message) == 0 && a->rows == b->rows &&
           a->calls == b->calls && a->sum == b->sum && a->bytes == b->bytes &&
           a->lines == b->lines && a->rejected == b->rejected && a->rejects_len == b->rejects_len &&
           (a->rejects_len == 0 || memcmp(a->rejects, b->rejects, a->rejects_len) == 0);
}

int main(void)
{
    static const size_t blocks[] = {997, 8192, 65536};
    int failures = 0, runs = 0;
    for (int csv = 0; csv < 2; csv++) {
        for (int bad = 0; bad < 2; bad++) {
            size_t len;
            char *in = generate(csv, 8000, bad ? 1499 : 0, &len);
            for (int rejects = 0; rejects < 2; rejects++) {
                struct outcome seq;
                parse(in, len, csv, rejects, false, -1, 0, &seq);
                for (int threads = 1; threads <= 3; threads++) {
                    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
                        for (int file = 0; file < 2; file++) {
                            struct outcome par;
                            parse(in, len, csv, rejects, file, threads, blocks[i], &par);
                            runs++;
                            if (!same(&seq, &par)) {
                                failures++;
                                fprintf(stderr,
                                        "mismatch: csv %d bad %d rejects %d threads %d block %zu "
                                        "file %d: rows %zu/%zu rc %d/%d %s / %s\n",
                                        csv, bad, rejects, threads, blocks[i], file, seq.rows,
                                        par.rows, seq.rc, par.rc, seq.message, par.message);
                            }
                            free(par.rejects);
                        }
                    }
                }
                free(seq.rejects);
            }
            free(in);
        }
    }
    printf("stress_parse: %d runs, %d mismatches\n", runs, failures);
    printf("%d passed, %d failed\n", runs - failures, failures);
    return failures == 0 ? 0 : 1;
}
