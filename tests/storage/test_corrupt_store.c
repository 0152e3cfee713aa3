/*
 * corrupt_*: a bit flip in any byte of a data file or of the manifest, and a truncation of
 * either at any length, is reported as CS_ECORRUPT naming the file — by the readers
 * (cs_store_open, cs_snap_open, cs_snap_read_col, cs_snap_view_col on mapped files and with
 * CS_OPEN_PREAD) and by cs_store_verify — never a crash.
 */
#include "tests/storage/store_fixture.h"

static char *dir;
static char data_path[4300], man_path[4300];

#define DATA_REL "data/000000000001.cseg"
#define MAN_REL  "MANIFEST-000000000001"

static void setup(void)
{
    dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    fx_put(txn, CS_T_FACT_TRAINING, 20240101, 9, NULLS_SOME, 1);
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20240102, 6, NULLS_ALL, 2);
    fx_put(txn, CS_T_DIM_AGENT, 0, 4, NULLS_NONE, 3);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
    snprintf(data_path, sizeof(data_path), "%s/" DATA_REL, dir);
    snprintf(man_path, sizeof(man_path), "%s/" MAN_REL, dir);
}

static void teardown(void)
{
    fx_rmrf(dir);
    free(dir);
}

TestSuite(corrupt, .init = setup, .fini = teardown);

struct seen {
    int calls;
    bool named;
    const char *want;
    char first[1200];
};

static void on_problem(void *ctx, const char *file, const char *reason)
{
    struct seen *s = ctx;
    if (s->calls++ == 0) snprintf(s->first, sizeof(s->first), "%s: %s", file, reason);
    if (strcmp(file, s->want) == 0) s->named = true;
}

/* read_everything() - CS_OK, or the first error of opening and reading every column. */
static int read_everything(struct cs_error *err)
{
    struct cs_store *st = NULL;
    struct cs_snap *snap = NULL;
    int rc = cs_store_open(dir, CS_OPEN_READ, &st, err);
    if (rc != CS_OK) return rc;
    rc = cs_snap_open(st, &snap, err);
    for (int t = CS_TABLE_MIN; rc == CS_OK && t <= CS_TABLE_MAX; t++) {
        const struct cs_table_def *def = cs_schema_table(t);
        for (size_t i = 0; rc == CS_OK && i < cs_snap_part_count(snap, t); i++) {
            for (int c = 0; rc == CS_OK && c < def->ncols; c++) {
                struct cs_col col;
                cs_col_init(&col, cs_type_kind(def->cols[c].type));
                rc = cs_snap_read_col(snap, t, i, c, &col, err);
                cs_col_free(&col);
            }
        }
    }
    cs_snap_close(snap);
    cs_store_close(st);
    return rc;
}

/* view_everything() - CS_OK, or the first error of opening every column of every partition as a
 * view (store opened with flags) and reading its values; *digest sums what was read. */
static int view_everything(unsigned flags, uint64_t *digest, struct cs_error *err)
{
    struct cs_store *st = NULL;
    struct cs_snap *snap = NULL;
    *digest = 0;
    int rc = cs_store_open(dir, flags, &st, err);
    if (rc != CS_OK) return rc;
    rc = cs_snap_open(st, &snap, err);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    int64_t i64[64];
    uint8_t b8[64];
    for (int t = CS_TABLE_MIN; rc == CS_OK && t <= CS_TABLE_MAX; t++) {
        const struct cs_table_def *def = cs_schema_table(t);
        for (size_t i = 0; rc == CS_OK && i < cs_snap_part_count(snap, t); i++) {
            for (int c = 0; rc == CS_OK && c < def->ncols; c++) {
                const int kind = cs_type_kind(def->cols[c].type);
                rc = cs_snap_view_col(snap, t, i, c, kind, &v, err);
                if (rc != CS_OK) break;
                cr_assert_leq(v.rows, 64);
                *digest = *digest * 31 + v.rows * 7 + v.null_count * 3 + v.codec;
                if (cs_seg_view_nulls(&v, 0, v.rows, b8)) {
                    for (size_t r = 0; r < v.rows; r++)
                        *digest = *digest * 31 + b8[r];
                }
                if (kind == CS_K_I64) {
                    cs_seg_view_i64(&v, 0, v.rows, i64);
                    for (size_t r = 0; r < v.rows; r++)
                        *digest = *digest * 31 + (uint64_t)i64[r];
                } else if (kind == CS_K_BOOL) {
                    cs_seg_view_bool(&v, 0, v.rows, b8);
                    for (size_t r = 0; r < v.rows; r++)
                        *digest = *digest * 31 + b8[r];
                }
            }
        }
    }
    cs_seg_view_free(&v);
    cs_snap_close(snap);
    cs_store_close(st);
    return rc;
}

/* expect_damage() - readers and verify both report the damage, naming rel. */
static void expect_damage(const char *rel, const char *what, size_t at)
{
    struct cs_error err = {0};
    int rc = read_everything(&err);
    cr_assert_eq(rc, CS_ECORRUPT, "%s at %zu: readers returned %d: %s", what, at, rc, err.message);
    cr_assert(strstr(err.message, rel) != NULL, "%s at %zu: %s", what, at, err.message);
    for (int k = 0; k < 2; k++) { /* views, on mapped files and read with pread() */
        uint64_t digest;
        rc = view_everything(k == 0 ? CS_OPEN_READ : CS_OPEN_PREAD, &digest, &err);
        cr_assert_eq(rc, CS_ECORRUPT, "%s at %zu: views (%d) returned %d: %s", what, at, k, rc,
                     err.message);
        cr_assert(strstr(err.message, rel) != NULL, "%s at %zu: %s", what, at, err.message);
    }

    struct cs_store *st = NULL;
    if (cs_store_open(dir, CS_OPEN_READ, &st, &err) != CS_OK) return; /* manifest damage */
    struct seen s = {0, false, rel, ""};
    rc = cs_store_verify(st, on_problem, &s, &err);
    cr_assert_eq(rc, CS_ECORRUPT, "%s at %zu: verify returned %d", what, at, rc);
    cr_assert(s.named, "%s at %zu: verify named %s", what, at, s.first);
    cs_store_close(st);
}

Test(corrupt, clean_store_verifies)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK);
    struct seen s = {0, false, "", ""};
    cr_assert_eq(cs_store_verify(st, on_problem, &s, &err), CS_OK, "%s", err.message);
    cr_assert_eq(s.calls, 0, "%s", s.first);
    cs_store_close(st);
    cr_assert_eq(read_everything(&err), CS_OK, "%s", err.message);
    uint64_t mapped = 0, read = 1;
    cr_assert_eq(view_everything(CS_OPEN_READ, &mapped, &err), CS_OK, "%s", err.message);
    cr_assert_eq(view_everything(CS_OPEN_PREAD, &read, &err), CS_OK, "%s", err.message);
    cr_assert_eq(mapped, read, "views read with pread() equal views of the mapped files");
}

Test(corrupt, bit_flip_in_any_data_file_byte_is_detected)
{
    uint8_t *buf;
    size_t len;
    fx_read_file(data_path, &buf, &len);
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= (uint8_t)(1u << (i % 8));
        fx_write_file(data_path, buf, len);
        expect_damage(DATA_REL, "data flip", i);
        buf[i] ^= (uint8_t)(1u << (i % 8));
    }
    fx_write_file(data_path, buf, len);
    free(buf);
}

Test(corrupt, bit_flip_in_any_manifest_byte_is_detected)
{
    uint8_t *buf;
    size_t len;
    fx_read_file(man_path, &buf, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            buf[i] ^= (uint8_t)(1u << bit);
            fx_write_file(man_path, buf, len);
            expect_damage(MAN_REL, "manifest flip", i);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(buf);
}

Test(corrupt, truncated_data_file_is_detected_at_every_length)
{
    uint8_t *buf;
    size_t len;
    fx_read_file(data_path, &buf, &len);
    for (size_t n = 0; n < len; n++) {
        fx_write_file(data_path, buf, n);
        expect_damage(DATA_REL, "data truncation", n);
    }
    buf[len] = 0; /* one byte appended is damage too */
    fx_write_file(data_path, buf, len + 1);
    expect_damage(DATA_REL, "data extension", len);
    free(buf);
}

Test(corrupt, truncated_manifest_is_detected_at_every_length)
{
    uint8_t *buf;
    size_t len;
    fx_read_file(man_path, &buf, &len);
    for (size_t n = 0; n < len; n++) {
        fx_write_file(man_path, buf, n);
        expect_damage(MAN_REL, "manifest truncation", n);
    }
    free(buf);
}

Test(corrupt, missing_data_file_and_manifest_are_damage)
{
    cr_assert_eq(unlink(data_path), 0);
    expect_damage(DATA_REL, "missing data file", 0);
    cr_assert_eq(unlink(man_path), 0);
    struct cs_error err = {0};
    cr_assert_eq(read_everything(&err), CS_ECORRUPT);
    cr_assert(strstr(err.message, MAN_REL) != NULL, "%s", err.message);
}

Test(corrupt, malformed_current_is_damage)
{
    char path[4400];
    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    fx_write_file(path, (const uint8_t *)"MANIFEST-00000000000x\n", 22);
    struct cs_error err = {0};
    cr_assert_eq(read_everything(&err), CS_ECORRUPT);
    cr_assert(strstr(err.message, "CURRENT: malformed manifest pointer") != NULL, "%s",
              err.message);
}
