/* The public API's conventions: versioned option structs, errors cleared on success, parameter
 * values as bad input, stable result text, lookup by name, typed accessors, the Arrow stream,
 * cancelling a load from the progress callback. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/colstore.h"
#include "tests/engine/fixture.h"

static colstore_store *loaded(char **dir_out)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    *dir_out = dir;
    return st;
}

static colstore_result *agent_performance(colstore_store *st)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.as_of = "2025-03-03";
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_report(st, "agent-performance", &p, &r, &err), COLSTORE_OK, "%s",
                 err.message);
    return r;
}

/* The first version of each struct, as a program compiled against 0.2 sees it. */
typedef struct {
    size_t size;
    const char *as_of;
    int days;
    int year;
    const char *from;
    const char *to;
    bool recompute;
} params_v1;

/* A later header with one more field. */
typedef struct {
    params_v1 v1;
    int64_t future;
} params_v2;

Test(api_surface, option_struct_sizes)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_result *r = NULL;
    colstore_error err;
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    cr_assert_eq(p.size, sizeof(colstore_report_params));
    p.as_of = "2025-03-03";

    /* zero-initialized (no INIT macro): refused, naming the struct */
    colstore_report_params zero;
    memset(&zero, 0, sizeof(zero));
    cr_assert_eq(colstore_report(st, "agent-performance", &zero, &r, &err), COLSTORE_EINVAL);
    cr_assert_not_null(strstr(err.message, "colstore_report_params: size 0"), "%s", err.message);

    /* a caller built against a newer header: unknown fields left zero are accepted ... */
    params_v2 newer;
    memset(&newer, 0, sizeof(newer));
    memcpy(&newer.v1, &p, sizeof(newer.v1));
    newer.v1.size = sizeof(newer);
    cr_assert_eq(
        colstore_report(st, "agent-performance", (colstore_report_params *)&newer, &r, &err),
        COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_result_rows(r), 4);
    colstore_result_free(r);
    /* ... set, they are refused rather than ignored */
    newer.future = 1;
    cr_assert_eq(
        colstore_report(st, "agent-performance", (colstore_report_params *)&newer, &r, &err),
        COLSTORE_EINVAL);
    cr_assert_not_null(strstr(err.message, "does not have"), "%s", err.message);

    /* load options: the same rules */
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    cr_assert_eq(o.size, sizeof(colstore_load_options));
    o.size = sizeof(size_t);
    cr_assert_eq(
        colstore_load_buffer(st, "dim_time", fx_dim_time, strlen(fx_dim_time), "t", &o, NULL, &err),
        COLSTORE_EINVAL);
    cr_assert_not_null(strstr(err.message, "colstore_load_options"), "%s", err.message);
    o.size = sizeof(colstore_load_options);
    cr_assert_eq(
        colstore_load_buffer(st, "dim_time", fx_dim_time, strlen(fx_dim_time), "t", &o, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    colstore_close(st);
    free(dir);
}

Test(api_surface, parameter_values_are_bad_input_named_as_parameters)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_result *r = NULL;
    colstore_error err;
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -2;
    cr_assert_eq(colstore_report(st, "agent-performance", &p, &r, &err), COLSTORE_EINPUT);
    cr_assert_eq(strncmp(err.message, "days: -2", 8), 0, "%s", err.message);
    p = (colstore_report_params)COLSTORE_REPORT_PARAMS_INIT;
    p.year = -5;
    cr_assert_eq(colstore_report(st, "approval-queue", &p, &r, &err), COLSTORE_EINPUT);
    cr_assert_eq(strncmp(err.message, "year: -5", 8), 0, "%s", err.message);
    p = (colstore_report_params)COLSTORE_REPORT_PARAMS_INIT;
    p.from = "2025-03-05";
    p.to = "2025-03-01";
    cr_assert_eq(colstore_report(st, "daily-agg", &p, &r, &err), COLSTORE_EINPUT);
    cr_assert_str_eq(err.message, "from (2025-03-05) is after to (2025-03-01): the range is empty");
    p.from = "2025-3-1x";
    cr_assert_eq(colstore_report(st, "daily-agg", &p, &r, &err), COLSTORE_EINPUT);
    cr_assert_eq(strncmp(err.message, "from: invalid date", 18), 0, "%s", err.message);
    cr_assert_null(r);
    /* the value parsers callers use for their own parameters */
    int32_t days = 0;
    int64_t us = 0;
    cr_assert_eq(colstore_parse_date("2025-01-01", &days, &err), COLSTORE_OK);
    cr_assert_eq(days, 20089);
    cr_assert_eq(colstore_parse_date("2025-02-30", &days, &err), COLSTORE_EINPUT);
    cr_assert_eq(colstore_parse_timestamptz("2025-06-01 03:00:00+00", &us, &err), COLSTORE_OK);
    cr_assert_eq(us, INT64_C(1748746800000000));
    cr_assert_eq(colstore_parse_timestamptz("2025-06-01 05:00:00+02", &us, &err), COLSTORE_OK);
    cr_assert_eq(us, INT64_C(1748746800000000));
    cr_assert_eq(colstore_parse_timestamptz("2025-02-30 00:00:00+00", &us, &err), COLSTORE_EINPUT);
    cr_assert_not_null(strstr(err.message, "2025-02-30"), "%s", err.message);
    colstore_close(st);
    free(dir);
}

Test(api_surface, every_entry_point_clears_the_error_on_success)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_error err = {.code = COLSTORE_EIO, .message = "stale"};
    colstore_result *r = agent_performance(st);
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(colstore_result_write(r, devnull, COLSTORE_OUTPUT_CSV, &err), COLSTORE_OK);
    cr_assert_eq(err.code, COLSTORE_OK);
    cr_assert_str_eq(err.message, "");
    err = (colstore_error){.code = COLSTORE_EIO, .message = "stale"};
    cr_assert_eq(colstore_dump(st, "dim_agent", COLSTORE_FORMAT_CSV, devnull, &err), COLSTORE_OK);
    cr_assert_str_eq(err.message, "");
    err = (colstore_error){.code = COLSTORE_EIO, .message = "stale"};
    cr_assert_eq(colstore_verify(st, NULL, NULL, &err), COLSTORE_OK);
    cr_assert_str_eq(err.message, "");
    err = (colstore_error){.code = COLSTORE_EIO, .message = "stale"};
    struct ArrowArrayStream s;
    cr_assert_eq(colstore_result_to_arrow_stream(r, &s, &err), COLSTORE_OK);
    cr_assert_str_eq(err.message, "");
    s.release(&s);
    err = (colstore_error){.code = COLSTORE_EIO, .message = "stale"};
    int32_t d;
    cr_assert_eq(colstore_parse_date("2025-01-01", &d, &err), COLSTORE_OK);
    cr_assert_eq(err.code, COLSTORE_OK);
    cr_assert_str_eq(err.message, "");
    fclose(devnull);
    colstore_result_free(r);
    colstore_close(st);
    free(dir);
}

Test(api_surface, result_text_stays_valid_until_free)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_result *r = agent_performance(st);
    /* as the README and docs/api.md examples use it: several calls in one printf */
    char line[256];
    snprintf(line, sizeof(line), "%s %s %s %s", colstore_result_text(r, 2, 0),
             colstore_result_text(r, 2, 1), colstore_result_text(r, 2, 3),
             colstore_result_text(r, 2, 4));
    cr_assert_str_eq(line, "2025-03-01 data 150.50 50.00");
    const char *first = colstore_result_text(r, 0, 0);
    for (size_t i = 0; i < colstore_result_rows(r); i++) {
        for (size_t c = 0; c < colstore_result_columns(r); c++)
            (void)colstore_result_text(r, i, c);
    }
    cr_assert_str_eq(first, "2025-03-03");
    cr_assert_eq(colstore_result_text(r, 0, 0), first); /* the same string each time */
    colstore_result_free(r);
    colstore_close(st);
    free(dir);
}

Test(api_surface, columns_by_name_and_typed_values)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_result *r = agent_performance(st);
    cr_assert_eq(colstore_result_column_index(r, "full_date"), 0);
    cr_assert_eq(colstore_result_column_index(r, "avg_latency_ms"), 3);
    cr_assert_eq(colstore_result_column_index(r, "no_such_column"), -1);
    cr_assert_eq(colstore_result_column_index(r, NULL), -1);
    cr_assert_eq(colstore_result_column_type(r, 0), COLSTORE_TYPE_DATE);
    cr_assert_eq(colstore_result_date(r, 0, 0), 20150);    /* 2025-03-03 */
    cr_assert_eq(colstore_result_date(r, 3, 0), 20148);    /* 2025-03-01 */
    cr_assert_eq(colstore_result_date(r, 0, 1), 0);        /* a text column */
    cr_assert_eq(colstore_result_date(r, 99, 0), 0);       /* out of range */
    cr_assert_eq(colstore_result_timestamptz(r, 0, 0), 0); /* a date is no timestamptz */
    colstore_result_free(r);
    colstore_close(st);
    free(dir);
}

Test(api_surface, arrow_stream_one_batch_then_end)
{
    char *dir;
    colstore_store *st = loaded(&dir);
    colstore_result *r = agent_performance(st);
    struct ArrowArrayStream s;
    colstore_error err;
    cr_assert_eq(colstore_result_to_arrow_stream(r, &s, &err), COLSTORE_OK, "%s", err.message);
    colstore_result_free(r); /* the stream holds copies */
    struct ArrowSchema schema;
    cr_assert_eq(s.get_schema(&s, &schema), 0);
    cr_assert_str_eq(schema.format, "+s");
    cr_assert_eq(schema.n_children, 6);
    cr_assert_str_eq(schema.children[0]->name, "full_date");
    cr_assert_str_eq(schema.children[0]->format, "tdD");
    cr_assert_str_eq(schema.children[3]->format, "d:18,2");
    schema.release(&schema);
    cr_assert_null(schema.release);
    struct ArrowArray a;
    cr_assert_eq(s.get_next(&s, &a), 0);
    cr_assert_not_null(a.release);
    cr_assert_eq(a.length, 4);
    cr_assert_eq(a.n_children, 6);
    const int32_t *dates = a.children[0]->buffers[1];
    cr_assert_eq(dates[0], 20150);
    const int32_t *off = a.children[1]->buffers[1];
    const char *text = a.children[1]->buffers[2];
    cr_assert_eq(off[1] - off[0], 4);
    cr_assert_eq(memcmp(text + off[0], "data", 4), 0);
    a.release(&a);
    cr_assert_eq(s.get_next(&s, &a), 0);
    cr_assert_null(a.release, "the end of the stream is a released array");
    cr_assert_null(s.get_last_error(&s));
    s.release(&s);
    cr_assert_null(s.release);
    colstore_close(st);
    free(dir);
}

static int cancel_at_first_call(void *ctx, uint64_t bytes, uint64_t total, uint64_t rows)
{
    (void)bytes;
    (void)total;
    (void)rows;
    int *calls = ctx;
    return ++*calls >= 1;
}

Test(api_surface, progress_callback_cancels_a_load)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    int calls = 0;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.progress = cancel_at_first_call;
    o.progress_ctx = &calls;
    colstore_load_stats stats;
    cr_assert_eq(colstore_load_buffer(st, "dim_time", fx_dim_time, strlen(fx_dim_time), "t", &o,
                                      &stats, &err),
                 COLSTORE_ECANCELED);
    cr_assert_eq(calls, 1);
    cr_assert_not_null(strstr(err.message, "canceled"), "%s", err.message);
    /* nothing committed: the dump is empty, and the same load without cancel works */
    char *dump = fx_dump(st, "dim_time", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(dump, "");
    free(dump);
    cr_assert_eq(colstore_load_buffer(st, "dim_time", fx_dim_time, strlen(fx_dim_time), "t", NULL,
                                      NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    dump = fx_dump(st, "dim_time", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(dump, fx_dim_time);
    free(dump);
    colstore_close(st);
    free(dir);
}
