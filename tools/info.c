/*
 * colquery info: what a store holds, drawn from the public catalog of one snapshot
 * (colstore_snapshot_describe, colstore_table_describe, colstore_partition_describe,
 * colstore_column_describe, colstore_segment_describe) and printed through results the tool
 * builds (colstore_result_new), so table, csv and json come out as every report's do.
 *
 * `info` has two sections, `store` (one row) and `tables` (one row per table); `info TABLE`
 * has `columns` and `partitions`. Table format prints each section under its name; csv
 * prints the sections one after the other, a blank line between; json prints one object
 * whose members are the sections' arrays.
 */
#include "tools/info.h"

#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

#define MAX_SECTIONS 2

struct section {
    const char *name;
    colstore_result *r;
};

static colstore_value v_int(int64_t i)
{
    return (colstore_value){.type = COLSTORE_TYPE_INT, .i = i};
}

static colstore_value v_text(const char *s)
{
    if (s == NULL) return (colstore_value){.type = COLSTORE_TYPE_NULL};
    return (colstore_value){.type = COLSTORE_TYPE_TEXT, .s = s, .len = strlen(s)};
}

/* A time_key as a DATE value; NULL for 0 (a dimension, or no partition). */
static colstore_value v_day(int32_t time_key)
{
    if (time_key == 0) return (colstore_value){.type = COLSTORE_TYPE_NULL};
    return (colstore_value){.type = COLSTORE_TYPE_DATE, .i = cli_key_days(time_key)};
}

static colstore_value v_time(int64_t us)
{
    if (us == 0) return (colstore_value){.type = COLSTORE_TYPE_NULL};
    return (colstore_value){.type = COLSTORE_TYPE_TIMESTAMPTZ, .i = us};
}

static colstore_value v_bool(bool b)
{
    return (colstore_value){.type = COLSTORE_TYPE_BOOL, .i = b};
}

static void day_text(int32_t time_key, char out[16])
{
    cli_date_text(cli_key_days(time_key), out);
}

static int
write_sections(const struct section *s, int n, enum colstore_output out, colstore_error *err)
{
    int rc = COLSTORE_OK;
    if (out == COLSTORE_OUTPUT_JSON) fputs("{", stdout);
    for (int i = 0; i < n && rc == COLSTORE_OK; i++) {
        if (out == COLSTORE_OUTPUT_TABLE) printf("%s\n", s[i].name);
        if (out == COLSTORE_OUTPUT_CSV && i > 0) putchar('\n');
        if (out == COLSTORE_OUTPUT_JSON) printf("%s\"%s\": ", i > 0 ? ",\n" : "\n", s[i].name);
        rc = colstore_result_write(s[i].r, stdout, out, err);
    }
    if (out == COLSTORE_OUTPUT_JSON) fputs("}\n", stdout);
    return rc;
}

/* ---- info: the store and its tables ---- */

/* What the snapshot's own commit wrote: "fact_agent_query 3 partitions (2025-12-29..
 * 2025-12-31, 1200 rows); dim_conversation 1 partition (40 rows)". */
struct last_commit {
    char text[2048];
    size_t len;
};

static void last_commit_add(struct last_commit *lc,
                            const char *table,
                            size_t parts,
                            int32_t first,
                            int32_t last,
                            uint64_t rows)
{
    char a[16], b[16], range[48] = "";
    if (first != 0 && first == last) {
        day_text(first, a);
        snprintf(range, sizeof(range), "%s, ", a);
    } else if (first != 0) {
        day_text(first, a);
        day_text(last, b);
        snprintf(range, sizeof(range), "%s..%s, ", a, b);
    }
    const int w = snprintf(lc->text + lc->len, sizeof(lc->text) - lc->len,
                           "%s%s: %zu partition%s (%s%llu rows)", lc->len > 0 ? "; " : "", table,
                           parts, parts == 1 ? "" : "s", range, (unsigned long long)rows);
    if (w > 0) lc->len += (size_t)w < sizeof(lc->text) - lc->len ? (size_t)w : 0;
}

/* table_row() - one row of the `tables` section, and what the last commit wrote of it. */
static int table_row(colstore_snapshot *snap,
                     const char *name,
                     uint64_t version,
                     colstore_result *r,
                     struct last_commit *lc,
                     colstore_error *err)
{
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    int rc = colstore_table_describe(snap, name, &ti, err);
    uint64_t last_version = 0, new_rows = 0;
    int64_t last_time = 0;
    size_t new_parts = 0;
    int32_t new_first = 0, new_last = 0;
    for (size_t i = 0; i < ti.partitions && rc == COLSTORE_OK; i++) {
        colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
        rc = colstore_partition_describe(snap, name, i, &pi, err);
        if (rc != COLSTORE_OK) break;
        if (pi.version > last_version ||
            (pi.version == last_version && pi.written_us > last_time)) {
            last_version = pi.version;
            last_time = pi.written_us;
        }
        if (pi.version == version) {
            if (new_parts++ == 0) new_first = pi.time_key;
            new_last = pi.time_key;
            new_rows += pi.rows;
        }
    }
    if (rc != COLSTORE_OK) return rc;
    if (new_parts > 0) last_commit_add(lc, name, new_parts, new_first, new_last, new_rows);
    const colstore_value row[] = {
        v_text(name),
        v_int((int64_t)ti.rows),
        v_int((int64_t)ti.partitions),
        v_day(ti.first_time_key),
        v_day(ti.last_time_key),
        v_int((int64_t)ti.bytes),
        ti.partitions > 0 ? v_int((int64_t)last_version) : v_text(NULL),
        v_time(last_time),
    };
    return colstore_result_append(r, row, err);
}

static int
info_store(colstore_snapshot *snap, const char *dir, enum colstore_output out, colstore_error *err)
{
    static const colstore_result_column store_cols[] = {
        {"store", COLSTORE_TYPE_TEXT, 0},       {"format_version", COLSTORE_TYPE_INT, 0},
        {"version", COLSTORE_TYPE_INT, 0},      {"committed", COLSTORE_TYPE_TIMESTAMPTZ, 0},
        {"bytes", COLSTORE_TYPE_INT, 0},        {"live_bytes", COLSTORE_TYPE_INT, 0},
        {"last_commit", COLSTORE_TYPE_TEXT, 0},
    };
    static const colstore_result_column table_cols[] = {
        {"table", COLSTORE_TYPE_TEXT, 0},       {"rows", COLSTORE_TYPE_INT, 0},
        {"partitions", COLSTORE_TYPE_INT, 0},   {"first_day", COLSTORE_TYPE_DATE, 0},
        {"last_day", COLSTORE_TYPE_DATE, 0},    {"bytes", COLSTORE_TYPE_INT, 0},
        {"last_version", COLSTORE_TYPE_INT, 0}, {"last_written", COLSTORE_TYPE_TIMESTAMPTZ, 0},
    };
    struct section s[MAX_SECTIONS] = {{"store", NULL}, {"tables", NULL}};
    struct last_commit lcs = {.len = 0}, *lc = &lcs;
    colstore_snapshot_info si = COLSTORE_SNAPSHOT_INFO_INIT;
    int rc = colstore_snapshot_describe(snap, &si, err);
    if (rc == COLSTORE_OK)
        rc = colstore_result_new(table_cols, sizeof(table_cols) / sizeof(table_cols[0]), &s[1].r,
                                 err);
    for (size_t t = 0; t < colstore_table_count() && rc == COLSTORE_OK; t++)
        rc = table_row(snap, colstore_table_name(t), si.version, s[1].r, lc, err);
    if (rc == COLSTORE_OK)
        rc = colstore_result_new(store_cols, sizeof(store_cols) / sizeof(store_cols[0]), &s[0].r,
                                 err);
    if (rc == COLSTORE_OK) {
        const colstore_value row[] = {
            v_text(dir),
            v_int(si.format_version),
            v_int((int64_t)si.version),
            v_time(si.committed_us),
            v_int((int64_t)si.bytes),
            v_int((int64_t)si.live_bytes),
            v_text(lc->len > 0       ? lc->text
                   : si.version == 0 ? "none: the store is empty"
                                     : ""),
        };
        rc = colstore_result_append(s[0].r, row, err);
    }
    if (rc == COLSTORE_OK) rc = write_sections(s, MAX_SECTIONS, out, err);
    for (int i = 0; i < MAX_SECTIONS; i++)
        colstore_result_free(s[i].r);
    return rc;
}

/* ---- info TABLE: its columns and partitions ---- */

#define MAX_ENCODINGS 12

/* How one column is stored across the partitions: each encoding with its segment count. */
struct col_storage {
    const char *enc[MAX_ENCODINGS];
    size_t count[MAX_ENCODINGS];
    size_t nenc, lz4, segments;
    uint64_t bytes, nulls;
};

static void storage_add(struct col_storage *cs, const colstore_segment_info *si)
{
    size_t k = 0;
    while (k < cs->nenc && strcmp(cs->enc[k], si->encoding) != 0)
        k++;
    if (k == cs->nenc && k < MAX_ENCODINGS) cs->enc[cs->nenc++] = si->encoding;
    if (k < MAX_ENCODINGS) cs->count[k]++;
    cs->lz4 += si->lz4;
    cs->segments++;
    cs->bytes += si->bytes;
    cs->nulls += si->nulls;
}

/* "for 300, delta 65" (most used first); "" for no partition. */
static void storage_text(const struct col_storage *cs, char *out, size_t n)
{
    size_t len = 0;
    bool used[MAX_ENCODINGS] = {false};
    out[0] = '\0';
    for (size_t done = 0; done < cs->nenc; done++) {
        size_t best = MAX_ENCODINGS;
        for (size_t k = 0; k < cs->nenc; k++) {
            if (!used[k] && (best == MAX_ENCODINGS || cs->count[k] > cs->count[best])) best = k;
        }
        used[best] = true;
        const int w = snprintf(out + len, n - len, "%s%s %zu", done > 0 ? ", " : "", cs->enc[best],
                               cs->count[best]);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
}

static int column_rows(colstore_snapshot *snap,
                       const colstore_table_info *ti,
                       colstore_result *r,
                       colstore_error *err)
{
    int rc = COLSTORE_OK;
    for (size_t c = 0; c < ti->columns && rc == COLSTORE_OK; c++) {
        colstore_column_info ci = COLSTORE_COLUMN_INFO_INIT;
        struct col_storage cs;
        memset(&cs, 0, sizeof(cs));
        rc = colstore_column_describe(ti->name, c, &ci, err);
        for (size_t i = 0; i < ti->partitions && rc == COLSTORE_OK; i++) {
            colstore_segment_info si = COLSTORE_SEGMENT_INFO_INIT;
            rc = colstore_segment_describe(snap, ti->name, i, c, &si, err);
            if (rc == COLSTORE_OK) storage_add(&cs, &si);
        }
        if (rc != COLSTORE_OK) break;
        char enc[256];
        storage_text(&cs, enc, sizeof(enc));
        /* bytes a row, to two places, as an exact NUMERIC: bytes * 100 / rows rounded */
        const int64_t per_row = ti->rows > 0 ? (int64_t)((cs.bytes * 200 / ti->rows + 1) / 2) : 0;
        const colstore_value row[] = {
            v_text(ci.name),
            v_text(ci.pg_type),
            v_bool(ci.nullable),
            v_int((int64_t)cs.nulls),
            v_text(enc),
            v_int((int64_t)cs.lz4),
            v_int((int64_t)cs.bytes),
            ti->rows > 0 ? (colstore_value){.type = COLSTORE_TYPE_NUMERIC, .scale = 2, .i = per_row}
                         : v_text(NULL),
        };
        rc = colstore_result_append(r, row, err);
    }
    return rc;
}

static int partition_rows(colstore_snapshot *snap,
                          const colstore_table_info *ti,
                          colstore_result *r,
                          colstore_error *err)
{
    int rc = COLSTORE_OK;
    for (size_t i = 0; i < ti->partitions && rc == COLSTORE_OK; i++) {
        colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
        rc = colstore_partition_describe(snap, ti->name, i, &pi, err);
        if (rc != COLSTORE_OK) break;
        const colstore_value row[] = {
            v_day(pi.time_key),         v_int((int64_t)pi.rows), v_int((int64_t)pi.bytes),
            v_int((int64_t)pi.version), v_time(pi.written_us),
        };
        rc = colstore_result_append(r, row, err);
    }
    return rc;
}

static int info_table(colstore_snapshot *snap,
                      const char *table,
                      enum colstore_output out,
                      colstore_error *err)
{
    static const colstore_result_column col_cols[] = {
        {"column", COLSTORE_TYPE_TEXT, 0},    {"type", COLSTORE_TYPE_TEXT, 0},
        {"nullable", COLSTORE_TYPE_BOOL, 0},  {"nulls", COLSTORE_TYPE_INT, 0},
        {"encodings", COLSTORE_TYPE_TEXT, 0}, {"lz4", COLSTORE_TYPE_INT, 0},
        {"bytes", COLSTORE_TYPE_INT, 0},      {"bytes_per_row", COLSTORE_TYPE_NUMERIC, 2},
    };
    static const colstore_result_column part_cols[] = {
        {"day", COLSTORE_TYPE_DATE, 0},
        {"rows", COLSTORE_TYPE_INT, 0},
        {"bytes", COLSTORE_TYPE_INT, 0},
        {"version", COLSTORE_TYPE_INT, 0},
        {"written", COLSTORE_TYPE_TIMESTAMPTZ, 0},
    };
    struct section s[MAX_SECTIONS] = {{"columns", NULL}, {"partitions", NULL}};
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    int rc = colstore_table_describe(snap, table, &ti, err);
    if (rc == COLSTORE_OK)
        rc = colstore_result_new(col_cols, sizeof(col_cols) / sizeof(col_cols[0]), &s[0].r, err);
    if (rc == COLSTORE_OK)
        rc = colstore_result_new(part_cols, sizeof(part_cols) / sizeof(part_cols[0]), &s[1].r, err);
    if (rc == COLSTORE_OK) rc = column_rows(snap, &ti, s[0].r, err);
    if (rc == COLSTORE_OK) rc = partition_rows(snap, &ti, s[1].r, err);
    if (rc == COLSTORE_OK) rc = write_sections(s, MAX_SECTIONS, out, err);
    for (int i = 0; i < MAX_SECTIONS; i++)
        colstore_result_free(s[i].r);
    return rc;
}

int info_print(colstore_store *store,
               const char *dir,
               const char *table,
               enum colstore_output out,
               colstore_error *err)
{
    colstore_snapshot *snap = NULL;
    int rc = colstore_snapshot_open(store, &snap, err);
    if (rc == COLSTORE_OK)
        rc = table == NULL ? info_store(snap, dir, out, err) : info_table(snap, table, out, err);
    colstore_snapshot_close(snap);
    return rc;
}
