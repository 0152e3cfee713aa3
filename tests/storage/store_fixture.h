/*
 * Shared helpers of the store tests (test_store*.c, test_corrupt_store.c,
 * test_crash_store.c, test_dim_index.c): a scratch directory per test, deterministic
 * batches of the real schema tables with chosen NULL patterns, batch comparison and file
 * surgery (bit flips, truncation).
 */
#ifndef CS_TEST_STORE_FIXTURE_H
#define CS_TEST_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/base/column.h"
#include "storage/base/schema.h"
#include "storage/store.h"

enum null_pattern {
    NULLS_NONE = 0, /* no NULLs */
    NULLS_SOME = 1, /* every nullable column NULL on some rows */
    NULLS_ALL = 2,  /* every nullable column NULL on every row */
};

/* fx_tmpdir() - a fresh empty directory; *path receives a malloc'd path. */
static inline char *fx_tmpdir(void)
{
    char tmpl[] = "/tmp/cs_store_test_XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d);
    return strdup(d);
}

static inline void fx_rmrf(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char sub[4096];
            (void)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            fx_rmrf(sub);
        }
        (void)closedir(d);
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

static const char *const fx_words[] = {"pending", "approved", "rejected", "expired"};

static inline void fx_push_value(
    struct cs_col *c, const struct cs_column_def *def, size_t r, int32_t time_key, uint32_t seed)
{
    uint64_t x = (uint64_t)r * 2654435761u + seed;
    bool ok = true;
    char buf[64];
    switch (def->type) {
    case CS_TY_INT4:
        if (def->check == CS_CHECK_SCORE) {
            ok = cs_col_push_i64(c, (int64_t)(1 + x % 5));
        } else if (strcmp(def->name, "time_key") == 0) {
            ok = cs_col_push_i64(c, time_key);
        } else {
            ok = cs_col_push_i64(c, (int64_t)(x % 100000) - 5000);
        }
        break;
    case CS_TY_INT8:
        ok = cs_col_push_i64(c, (int64_t)(x * 977) + (int64_t)r);
        break;
    case CS_TY_DATE:
        ok = cs_col_push_i64(c, 19000 + (int64_t)(x % 1000));
        break;
    case CS_TY_TIMESTAMPTZ:
        ok = cs_col_push_i64(c, INT64_C(1700000000000000) + (int64_t)r * 1234567);
        break;
    case CS_TY_NUMERIC:
        ok = cs_col_push_i64(c, (int64_t)(x % 50000) - 100);
        break;
    case CS_TY_BOOL:
        ok = cs_col_push_bool(c, (x >> 3) % 3 == 0);
        break;
    case CS_TY_HASH16: {
        uint8_t h[16];
        for (int i = 0; i < 16; i++)
            h[i] = (uint8_t)(x >> (i % 8) ^ (uint64_t)(i * 37 + r));
        ok = cs_col_push_fix16(c, h);
        break;
    }
    case CS_TY_TEXT_ARRAY: {
        int n = snprintf(buf, sizeof(buf), r % 4 == 0 ? "{}" : "{tone,\"a b\",x%zu}", r);
        ok = cs_col_push_str(c, buf, (size_t)n);
        break;
    }
    case CS_TY_JSONB: {
        int n = snprintf(buf, sizeof(buf), "{\"k\": %zu, \"s\": \"v\"}", r % 7);
        ok = cs_col_push_str(c, buf, (size_t)n);
        break;
    }
    default: { /* TEXT */
        int n = def->check != CS_CHECK_NONE ? snprintf(buf, sizeof(buf), "%s", fx_words[x % 4])
                : r % 5 == 4                ? 0
                             : snprintf(buf, sizeof(buf), "%s-%zu-%u", def->name, r % 13, seed);
        ok = cs_col_push_str(c, buf, (size_t)n);
        break;
    }
    }
    cr_assert(ok);
}

/* fx_batch() - `rows` deterministic rows of table id (time_key column = time_key). */
static inline void fx_batch(struct cs_batch *b,
                            int table,
                            size_t rows,
                            int32_t time_key,
                            enum null_pattern nulls,
                            uint32_t seed)
{
    const struct cs_table_def *t = cs_schema_table(table);
    cs_batch_init(b, t);
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const struct cs_column_def *def = &t->cols[c];
            bool nullable = (def->flags & CS_COL_NOT_NULL) == 0;
            bool null = nullable && (nulls == NULLS_ALL ||
                                     (nulls == NULLS_SOME && (r * 7 + (size_t)c) % 3 == 0));
            if (null) {
                cr_assert(cs_col_push_null(&b->cols[c]));
            } else {
                fx_push_value(&b->cols[c], def, r, time_key, seed);
            }
        }
        b->rows++;
    }
}

static inline void fx_assert_batch_eq(const struct cs_batch *a, const struct cs_batch *b)
{
    cr_assert_eq(a->rows, b->rows);
    for (int c = 0; c < a->table->ncols; c++) {
        cr_assert_eq(a->cols[c].len, a->rows);
        cr_assert_eq(b->cols[c].len, b->rows, "column %s", a->table->cols[c].name);
        cr_assert_eq(a->cols[c].null_count, b->cols[c].null_count, "column %s",
                     a->table->cols[c].name);
        for (size_t r = 0; r < a->rows; r++) {
            cr_assert(cs_col_equal_at(&a->cols[c], r, &b->cols[c], r), "column %s row %zu",
                      a->table->cols[c].name, r);
        }
    }
}

/* fx_put() - put one generated partition in txn. */
static inline void fx_put(struct cs_txn *txn,
                          int table,
                          int32_t time_key,
                          size_t rows,
                          enum null_pattern nulls,
                          uint32_t seed)
{
    struct cs_batch b;
    struct cs_error err = {0};
    fx_batch(&b, table, rows, time_key, nulls, seed);
    int rc = cs_txn_put_part(txn, table, time_key, &b, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    cs_batch_free(&b);
}

/* fx_check_part() - partition (table, time_key) of snap equals the generated rows. */
static inline void fx_check_part(struct cs_snap *snap,
                                 int table,
                                 int32_t time_key,
                                 size_t rows,
                                 enum null_pattern nulls,
                                 uint32_t seed)
{
    size_t first, end;
    cs_snap_part_range(snap, table, time_key, time_key, &first, &end);
    cr_assert_eq(end - first, 1, "partition %d/%d present", table, time_key);
    struct cs_batch want, got;
    fx_batch(&want, table, rows, time_key, nulls, seed);
    cs_batch_init(&got, cs_schema_table(table));
    struct cs_error err = {0};
    int rc = cs_snap_read_part(snap, table, first, &got, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    fx_assert_batch_eq(&want, &got);
    cs_batch_free(&want);
    cs_batch_free(&got);
}

static inline size_t fx_file_size(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "stat %s", path);
    return (size_t)sb.st_size;
}

static inline void fx_read_file(const char *path, uint8_t **buf, size_t *len)
{
    *len = fx_file_size(path);
    *buf = malloc(*len + 1);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fread(*buf, 1, *len, f), *len);
    fclose(f);
}

static inline void fx_write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static inline bool fx_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

#endif
