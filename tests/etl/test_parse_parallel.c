/* The parallel parse (blocks in worker threads) against the sequential one: for many block
 * sizes and thread counts, the same rows, line numbers, errors, rejects file, counters and
 * max_rows chunking, call by call. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/parse.h"
#include "etl_test_util.h"
#include "storage/base/limits.h"

/* Everything a caller can observe of one parse. */
struct trace {
    struct cs_batch all; /* every row handed out, with line_no */
    char *log;           /* per call: status, rows, bytes, lines, rejected, message */
    size_t log_len;
    char *rejects; /* the rejects file */
    size_t rejects_len;
};

static void trace_free(struct trace *tr)
{
    cs_batch_free(&tr->all);
    free(tr->log);
    free(tr->rejects);
}

struct run_opts {
    const char *table;
    int format;
    bool header;
    bool rejects;
    size_t max_rows;
    bool loader_rejects; /* call cs_parser_reject() on the last row of each batch */
    bool fd;             /* through a regular file (mmap) instead of memory */
};

/* run() - parse input with the given threads/block_bytes, recording everything. */
static void run(const struct run_opts *ro,
                const char *input,
                size_t len,
                int threads,
                size_t block_bytes,
                struct trace *tr)
{
    const struct cs_table_def *t = cs_schema_find_table(ro->table);
    cr_assert_not_null(t);
    memset(tr, 0, sizeof(*tr));
    cs_batch_init(&tr->all, t);
    FILE *log = open_memstream(&tr->log, &tr->log_len);
    FILE *rej = ro->rejects ? open_memstream(&tr->rejects, &tr->rejects_len) : NULL;
    struct cs_parse_opts opts = {ro->format,  ro->header, "t.x",       rej,
                                 TEST_NOW_US, threads,    block_bytes, 0};
    struct cs_parser *p = NULL;
    struct cs_error err = {0};
    FILE *f = NULL;
    int rc;
    if (ro->fd) {
        f = tmpfile();
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(input, 1, len, f), len);
        fflush(f);
        rewind(f);
        rc = cs_parser_open_fd(t, fileno(f), &opts, &p, &err);
    } else {
        rc = cs_parser_open_mem(t, input, len, &opts, &p, &err);
    }
    fprintf(log, "open %d %s\n", rc, rc == CS_OK ? "" : err.message);
    struct cs_batch b;
    cs_batch_init(&b, t);
    for (int calls = 0; rc == CS_OK && calls < 100000; calls++) {
        rc = cs_parser_next(p, &b, ro->max_rows, &err);
        fprintf(log, "next %d rows %zu bytes %llu lines %llu rejected %llu %s\n", rc, b.rows,
                (unsigned long long)cs_parser_bytes(p), (unsigned long long)cs_parser_lines(p),
                (unsigned long long)cs_parser_rejected(p), rc == CS_OK ? "" : err.message);
        if (rc != CS_OK) {
            /* sticky: the same error again */
            struct cs_error again = {0};
            cr_assert_eq(cs_parser_next(p, &b, ro->max_rows, &again), rc);
            cr_assert_str_eq(again.message, err.message);
            break;
        }
        if (b.rows == 0) break;
        for (size_t r = 0; r < b.rows; r++)
            cr_assert(cs_batch_push_row_from(&tr->all, &b, r));
        if (ro->loader_rejects) {
            const int lr = cs_parser_reject(p, &b, b.rows - 1, "query_key", "loader says no", &err);
            fprintf(log, "reject %d %s\n", lr, lr == CS_OK ? "" : err.message);
        }
    }
    cs_batch_free(&b);
    cs_parser_close(p);
    if (f != NULL) fclose(f);
    fclose(log);
    if (rej != NULL) fclose(rej);
}

static void expect_same_rows(const struct cs_batch *x, const struct cs_batch *y)
{
    cr_assert_eq(x->rows, y->rows);
    for (size_t r = 0; r < x->rows; r++) {
        cr_assert_eq(x->line_no[r], y->line_no[r], "row %zu", r);
        for (int c = 0; c < x->table->ncols; c++)
            cr_assert(cs_col_equal_at(&x->cols[c], r, &y->cols[c], r), "row %zu col %d", r, c);
    }
}

/* forget_field() - the number after `key` in l[..eol) becomes '?'. */
static void forget_field(char *l, char *eol, const char *key)
{
    char *f = strstr(l, key);
    if (f == NULL || (eol != NULL && f > eol)) return;
    char *q = f + strlen(key), *e = q;
    while (*e >= '0' && *e <= '9')
        e++;
    if (e == q) return;
    *q = '?';
    memmove(q + 1, e, strlen(e) + 1); /* the digits become one '?' */
}

/* forget_lines_at_error() - the byte and line counters in a fatal error's log line: after a
 * record over the line limit stops the parse, how much of it was counted depends on how much
 * of it each reader looked at (neither reads an over-long record to its end: the parallel one
 * stops CS_MAX_LINE_BYTES past its block's cut point, the sequential one when its buffer is
 * full). */
static void forget_lines_at_error(char *log)
{
    for (char *l = log; l != NULL && *l != '\0';) {
        char *eol = strchr(l, '\n');
        const char *msg = strstr(l, "line longer than");
        if (strncmp(l, "next ", 5) == 0 && l[5] != '0' && msg != NULL &&
            (eol == NULL || msg < eol)) {
            forget_field(l, eol, " lines ");
            eol = strchr(l, '\n');
            forget_field(l, eol, " bytes ");
            eol = strchr(l, '\n');
        }
        l = eol != NULL ? eol + 1 : NULL;
    }
}

static void expect_same(const struct trace *seq, const struct trace *par, int threads, size_t bb)
{
    forget_lines_at_error(seq->log);
    forget_lines_at_error(par->log);
    cr_assert_str_eq(par->log, seq->log, "threads %d block %zu\nseq:\n%s\npar:\n%s", threads, bb,
                     seq->log, par->log);
    cr_assert_eq(par->rejects_len, seq->rejects_len, "threads %d block %zu", threads, bb);
    if (seq->rejects_len > 0)
        cr_assert(memcmp(par->rejects, seq->rejects, seq->rejects_len) == 0, "threads %d block %zu",
                  threads, bb);
    expect_same_rows(&seq->all, &par->all);
}

/* check() - the sequential parse against the parallel one for many block sizes and thread
 * counts, in memory and (for a few) through a file; returns nothing, asserts. */
static void check(const struct run_opts *ro, const char *input, size_t len)
{
    static const size_t blocks[] = {1, 2, 3, 5, 8, 13, 31, 64, 100, 257, 1000, 4096, 1 << 20};
    static const int threads[] = {1, 2, 3};
    struct trace seq;
    run(ro, input, len, -1, 0, &seq);
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
            struct trace par;
            run(ro, input, len, threads[k], blocks[i], &par);
            expect_same(&seq, &par, threads[k], blocks[i]);
            trace_free(&par);
        }
    }
    struct run_opts fo = *ro;
    fo.fd = true;
    for (size_t i = 0; i < 3; i++) {
        struct trace par;
        run(&fo, input, len, 2, blocks[2 * i + 1], &par);
        expect_same(&seq, &par, 2, blocks[2 * i + 1]);
        trace_free(&par);
    }
    trace_free(&seq);
}

/* check_all_modes() - check() with and without rejects, small and large batches. */
static void check_all_modes(const char *table, int format, bool header, const char *in)
{
    static const size_t max_rows[] = {1, 3, 65536};
    for (int rejects = 0; rejects < 2; rejects++) {
        for (size_t m = 0; m < 3; m++) {
            struct run_opts ro = {table, format, header, rejects, max_rows[m], false, false};
            check(&ro, in, strlen(in));
        }
    }
}

#define FQ(key, ts) \
    key "\t1\t20250304\t1\t0123456789abcdef0123456789abcdef\t10\t5\tt\tf\tf\t" ts "\n"
#define FQC(key, ts) key ",1,20250304,1,0123456789abcdef0123456789abcdef,10,5,t,f,f," ts "\n"
#define FQ_HEADER                                                                             \
    "query_key,agent_key,time_key,conv_key,query_hash,result_size_bytes,latency_ms,approved," \
    "human_edited,error_occurred,created_at\n"

Test(parse_parallel, text_rows_escapes_and_continuations)
{
    const char *in = FQ("1", "2025-03-04 10:11:12+00")
        FQ("2", "2025-03-04 10:11:12.5+00") "3\t1\t20250304\t1\t0123456789abcdef0123456789abcdef\t"
                                            "\\N\t5\t\\N\tt\tf\t"
                                            "2025-03-04 10:11:12+05:30\r\n" FQ(
                                                "4", "2025-03-04 10:11:12+00");
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, in);
    const char *agents = "1\ta\\\\b\\tc\\nd\tdata\t[]\t1\t1\t2025-01-01 00:00:00+00\t\\N\tt\n"
                         "2\tline\\\ncontinued\\\\\tops\t[]\t1\t1\t2025-01-01 00:00:00+00\t\\N\tf\n"
                         "3\tbs\\\\\\\\\tops\t{}\t1\t1\t2025-01-01 00:00:00+00\t\\N\tf\n"
                         "4\t\\x41\\101\\.\tops\t[]\t1\t1\t2025-01-01 00:00:00+00\t\\N\tf\n"
                         "5\tlast\tqa\t[]\t1\t1\t2025-01-01 00:00:00+00\t\\N\tt";
    check_all_modes("dim_agent", CS_FMT_TEXT, false, agents);
}

Test(parse_parallel, text_errors_first_in_file_order_wins)
{
    /* bad lines 3, 6 and 7: with tiny blocks the later ones sit in blocks parsed earlier or
     * at the same time; the first in file order must be the one reported */
    const char *in = FQ("1", "2025-03-04 10:11:12+00") FQ("2", "2025-03-04 10:11:12+00")
        FQ("3", "2025-03-04 99:11:12+00") FQ("4", "2025-03-04 10:11:12+00")
            FQ("5", "2025-03-04 10:11:12+00") "6\tnope\n"
                                              "x7\t1\n" FQ("8", "2025-03-04 10:11:12+00")
                                                  FQ("9", "2025-03-04 10:11:12+00");
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, in);
}

Test(parse_parallel, text_end_marker_ends_the_data_in_any_block)
{
    const char *in = FQ("1", "2025-03-04 10:11:12+00")
        FQ("2", "2025-03-04 10:11:12+00") "\\.\n" FQ("3", "2025-03-04 10:11:12+00") "garbage\n";
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, in);
    const char *corrupt =
        FQ("1", "2025-03-04 10:11:12+00") "2\tab\\.c\n" FQ("3", "2025-03-04 10:11:12+00");
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, corrupt);
}

Test(parse_parallel, csv_quoted_fields_spanning_lines_and_blocks)
{
    const char *in =
        "agent_key,agent_name,agent_type,capabilities,sla_target_seconds,cost_per_query_usd,"
        "valid_from,valid_to,is_current\n"
        "1,\"two\nlines\r\nand three\",data,[],1,1,2025-01-01 00:00:00+00,,t\n"
        "2,\"a,b \"\"c\"\"\n\"\"\"\"\n\",data,\"[\"\"q\"\"]\",1,1,2025-01-01 00:00:00+00,,t\r\n"
        "3,ab\"c,\nd\"e,data,[],1,1,2025-01-01 00:00:00+00,,t\n"
        "4,bad,data,[],1,1,2025-01-01 00:00:00+00,,x\n"
        "5,\"\",ops,,,,2025-01-01 00:00:00+00,,f\n"
        "6,\"\n\n\n\",ops,,,,2025-01-01 00:00:00+00,,f\n"
        "7,short\n"
        "8,last,qa,[],1,1,2025-01-01 00:00:00+00,,t";
    check_all_modes("dim_agent", CS_FMT_CSV, true, in);
    /* ends inside quotes: the last block runs to the end */
    const char *open_quote = "agent_key,agent_name\n1,ok\n2,\"never\nclosed,\n";
    check_all_modes("dim_agent", CS_FMT_CSV, true, open_quote);
    /* the header line spanning lines, no header, CRLF header */
    check_all_modes("dim_user", CS_FMT_CSV, true,
                    "\"user_key\",user_id,\"user_\ntype\"\n1,a,approver\n");
    check_all_modes("fact_agent_query", CS_FMT_CSV, false,
                    FQC("1", "2025-03-04 10:11:12+00") FQC("2", "2025-03-04 10:11:12+00"));
    check_all_modes("fact_agent_query", CS_FMT_CSV, true,
                    "query_key,agent_key,time_key,conv_key,query_hash,result_size_bytes,"
                    "latency_ms,approved,human_edited,error_occurred,created_at\r\n" FQC(
                        "1", "2025-03-04 10:11:12+00") "\\.\n" FQC("2", "x"));
}

Test(parse_parallel, empty_header_only_and_single_record_inputs)
{
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, "");
    check_all_modes("fact_agent_query", CS_FMT_CSV, true, "");
    check_all_modes("fact_agent_query", CS_FMT_CSV, true, FQ_HEADER);
    check_all_modes("fact_agent_query", CS_FMT_CSV, true, "query_key,bogus\n1,2\n");
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, "\n");
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, FQ("1", "2025-03-04 10:11:12+00"));
    check_all_modes("fact_agent_query", CS_FMT_TEXT, false, "\\.");
}

Test(parse_parallel, loader_rejects_interleave_with_parse_rejects)
{
    char in[8192];
    size_t len = 0;
    for (int r = 1; r <= 40; r++) {
        if (r % 7 == 3)
            len += (size_t)snprintf(in + len, sizeof(in) - len, "%d\tbad\n", r);
        else
            len += (size_t)snprintf(in + len, sizeof(in) - len,
                                    "%d\t1\t20250304\t1\t0123456789abcdef0123456789abcdef\t10\t5\t"
                                    "t\tf\tf\t2025-03-04 10:11:12+00\n",
                                    r);
    }
    for (size_t m = 1; m <= 7; m += 3) {
        struct run_opts ro = {"fact_agent_query", CS_FMT_TEXT, false, true, m, true, false};
        check(&ro, in, len);
    }
}

/* one record longer than the limit, then good ones: as one huge block or cut around it */
static char *huge_input(bool csv, bool newline_at_end, size_t *len)
{
    const size_t n = CS_MAX_LINE_BYTES + 1000;
    char *in = malloc(n + 1000);
    const char *sep = csv ? "," : "\t";
    size_t k = (size_t)sprintf(in, "1%s", sep);
    if (csv) in[k++] = '"';
    for (size_t i = 0; i < n; i++) /* text: a backslash-newline continues the record */
        in[k++] = i % 1000 == 999 ? '\n' : !csv && i % 1000 == 998 ? '\\' : 'a';
    if (csv) in[k++] = '"';
    k += (size_t)sprintf(in + k, "%sdata%s%s%s%s%s%s%s2025-01-01 00:00:00+00%s%s%st%s", sep, sep,
                         csv ? "" : "\\N", sep, csv ? "" : "\\N", sep, csv ? "" : "\\N", sep, sep,
                         csv ? "" : "\\N", sep, newline_at_end ? "\n" : "");
    *len = k;
    return in;
}

Test(parse_parallel, one_huge_record)
{
    for (int csv = 0; csv < 2; csv++) {
        for (int nl = 0; nl < 2; nl++) {
            size_t len;
            char *in = huge_input(csv, nl, &len);
            for (int rejects = 0; rejects < 2; rejects++) {
                struct run_opts ro = {
                    "dim_agent", csv ? CS_FMT_CSV : CS_FMT_TEXT, false, rejects, 3, false, false};
                struct trace seq, par;
                run(&ro, in, len, -1, 0, &seq);
                static const size_t blocks[] = {1, 1000, 1 << 16, 1 << 22};
                for (size_t i = 0; i < 4; i++) {
                    run(&ro, in, len, 2, blocks[i], &par);
                    expect_same(&seq, &par, 2, blocks[i]);
                    trace_free(&par);
                }
                ro.fd = true;
                run(&ro, in, len, 2, 1000, &par);
                expect_same(&seq, &par, 2, 1000);
                trace_free(&par);
                trace_free(&seq);
            }
            free(in);
        }
    }
}

/* a generated export of n rows with a bad row every `bad_every` rows (0: none) */
static char *big_input(bool csv, size_t n, size_t bad_every, size_t *len)
{
    const size_t cap = n * 160 + 400;
    char *in = malloc(cap);
    size_t k = 0;
    if (csv) k += (size_t)snprintf(in, cap, "%s", FQ_HEADER);
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

Test(parse_parallel, generated_exports_default_blocks_through_files)
{
    /* above CS_PARSE_PAR_MIN_BYTES: threads and blocks at their defaults */
    for (int csv = 0; csv < 2; csv++) {
        for (size_t bad = 0; bad < 2; bad++) {
            size_t len;
            char *in = big_input(csv, 60000, bad ? 9973 : 0, &len);
            cr_assert_geq(len, CS_PARSE_PAR_MIN_BYTES);
            for (int rejects = 0; rejects < 2; rejects++) {
                struct run_opts ro = {"fact_agent_query",
                                      csv ? CS_FMT_CSV : CS_FMT_TEXT,
                                      csv,
                                      rejects,
                                      CS_PARSE_BATCH_ROWS,
                                      true,
                                      true};
                struct trace seq, par;
                run(&ro, in, len, -1, 0, &seq);
                run(&ro, in, len, 0, 0, &par);
                expect_same(&seq, &par, 0, 0);
                trace_free(&par);
                run(&ro, in, len, 2, 100000, &par);
                expect_same(&seq, &par, 2, 100000);
                trace_free(&par);
                trace_free(&seq);
            }
            free(in);
        }
    }
}

Test(parse_parallel, pg15_fixtures_every_table_both_formats)
{
    static const char *tables[] = {"dim_agent",     "dim_conversation",           "dim_time",
                                   "dim_user",      "fact_agent_query",           "fact_approval",
                                   "fact_training", "agg_agent_daily_performance"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        for (int csv = 0; csv < 2; csv++) {
            char path[512];
            snprintf(path, sizeof(path), "%s/tests/etl/pg15/%s.%s", CS_SOURCE_DIR, tables[i],
                     csv ? "csv" : "copy");
            FILE *f = fopen(path, "rb");
            cr_assert_not_null(f, "%s", path);
            char *in = malloc(1 << 20);
            const size_t len = fread(in, 1, 1 << 20, f);
            fclose(f);
            struct run_opts ro = {tables[i], csv ? CS_FMT_CSV : CS_FMT_TEXT, csv, false, 50, false,
                                  false};
            struct trace seq;
            run(&ro, in, len, -1, 0, &seq);
            cr_assert(seq.all.rows > 0, "%s", path);
            static const size_t blocks[] = {1, 77, 1000, 5000};
            for (size_t b = 0; b < 4; b++) {
                struct trace par;
                run(&ro, in, len, 2, blocks[b], &par);
                expect_same(&seq, &par, 2, blocks[b]);
                trace_free(&par);
            }
            trace_free(&seq);
            free(in);
        }
    }
}
