/* Row groups (storage format 2): partitions of several groups, appends, group puts, the
 * transaction's view of a partition, natural-key filters, and stores written by format 1. */
#include "tests/storage/store_fixture.h"

#include <xxhash.h>

#include "storage/key_filter.h"
#include "storage/store_int.h"

static char *dir;

static void setup(void)
{
    dir = fx_tmpdir();
}

static void teardown(void)
{
    fx_rmrf(dir);
    free(dir);
}

TestSuite(row_groups, .init = setup, .fini = teardown);

static struct cs_store *open_store(unsigned flags)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    int rc = cs_store_open(dir, flags, &st, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    return st;
}

static struct cs_txn *begin(struct cs_store *st)
{
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    return txn;
}

static void commit(struct cs_txn *txn)
{
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
}

static struct cs_snap *snap_of(struct cs_store *st)
{
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    return snap;
}

/* rows [from, from + n) of a generated batch (seed), as one batch */
static void slice(struct cs_batch *out, int table, size_t from, size_t n, int32_t tk, uint32_t seed)
{
    struct cs_batch all;
    fx_batch(&all, table, from + n, tk, NULLS_SOME, seed);
    cs_batch_init(out, cs_schema_table(table));
    cr_assert(cs_batch_append_range(out, &all, from, n));
    cs_batch_free(&all);
}

static void append(struct cs_txn *txn, int table, int32_t tk, size_t from, size_t n, uint32_t seed)
{
    struct cs_batch b;
    struct cs_error err = {0};
    slice(&b, table, from, n, tk, seed);
    cr_assert_eq(cs_txn_append_part(txn, table, tk, &b, &err), CS_OK, "%s", err.message);
    cs_batch_free(&b);
}

static void put_group(
    struct cs_txn *txn, int table, int32_t tk, uint32_t seq, size_t from, size_t n, uint32_t seed)
{
    struct cs_batch b;
    struct cs_error err = {0};
    slice(&b, table, from, n, tk, seed);
    cr_assert_eq(cs_txn_put_group(txn, table, tk, seq, &b, &err), CS_OK, "%s", err.message);
    cs_batch_free(&b);
}

/* the partition's groups concatenated equal rows [0, n) of the generated batch */
static void
check_day(struct cs_snap *snap, int table, int32_t tk, size_t n, uint32_t seed, size_t groups)
{
    size_t first, end;
    cs_snap_part_range(snap, table, tk, tk, &first, &end);
    cr_assert_eq(end - first, groups, "%d groups, want %zu", (int)(end - first), groups);
    if (groups > 0) cr_assert_eq(cs_snap_part_end(snap, table, first), end);
    struct cs_batch want, got;
    fx_batch(&want, table, n, tk, NULLS_SOME, seed);
    cs_batch_init(&got, cs_schema_table(table));
    struct cs_error err = {0};
    cr_assert_eq(cs_snap_read_groups(snap, table, first, end, NULL, 0, &got, &err), CS_OK, "%s",
                 err.message);
    fx_assert_batch_eq(&want, &got);
    cs_batch_free(&want);
    cs_batch_free(&got);
}

Test(row_groups, appends_add_groups_and_nothing_stored_is_rewritten)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    append(txn, CS_T_FACT_AGENT_QUERY, 20250101, 0, 50, 7); /* no partition yet: group 0 */
    append(txn, CS_T_FACT_AGENT_QUERY, 20250102, 0, 30, 8);
    commit(txn);
    struct cs_snap *s1 = snap_of(st);
    const uint64_t file1 = cs_snap_part(s1, CS_T_FACT_AGENT_QUERY, 0).file_id;

    txn = begin(st);
    append(txn, CS_T_FACT_AGENT_QUERY, 20250101, 50, 5, 7);
    append(txn, CS_T_FACT_AGENT_QUERY, 20250101, 55, 9, 7); /* two in one transaction */
    cr_assert_eq(cs_txn_group_count(txn, CS_T_FACT_AGENT_QUERY, 20250101), 3);
    struct cs_batch view;
    cs_batch_init(&view, cs_schema_table(CS_T_FACT_AGENT_QUERY));
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_read_part(txn, CS_T_FACT_AGENT_QUERY, 20250101, &view, &err), CS_OK);
    cr_assert_eq(view.rows, 64);
    const int8_t cols[2] = {CS_FQ_KEY, CS_FQ_LATENCY};
    cr_assert_eq(cs_txn_read_cols(txn, CS_T_FACT_AGENT_QUERY, 20250101, cols, 2, &view, &err),
                 CS_OK);
    cr_assert_eq(view.rows, 64);
    cr_assert_eq(view.cols[CS_FQ_LATENCY].len, 64);
    cr_assert_eq(view.cols[CS_FQ_AGENT].len, 0);
    cs_batch_free(&view);
    commit(txn);

    struct cs_snap *s2 = snap_of(st);
    check_day(s2, CS_T_FACT_AGENT_QUERY, 20250101, 64, 7, 3);
    check_day(s2, CS_T_FACT_AGENT_QUERY, 20250102, 30, 8, 1);
    /* the first group is the stored block, not a copy: same file; the old snapshot still reads */
    cr_assert_eq(cs_snap_part(s2, CS_T_FACT_AGENT_QUERY, 0).file_id, file1);
    cr_assert_eq(cs_snap_part(s2, CS_T_FACT_AGENT_QUERY, 0).seq, 0);
    cr_assert_eq(cs_snap_part(s2, CS_T_FACT_AGENT_QUERY, 1).seq, 1);
    cr_assert_eq(cs_snap_part(s2, CS_T_FACT_AGENT_QUERY, 2).seq, 2);
    check_day(s1, CS_T_FACT_AGENT_QUERY, 20250101, 50, 7, 1);
    cs_snap_close(s1);
    cs_snap_close(s2);

    txn = begin(st); /* a whole-partition put replaces every group */
    fx_put(txn, CS_T_FACT_AGENT_QUERY, 20250101, 12, NULLS_SOME, 3);
    commit(txn);
    s2 = snap_of(st);
    check_day(s2, CS_T_FACT_AGENT_QUERY, 20250101, 12, 3, 1);
    cr_assert_eq(cs_snap_part_count(s2, CS_T_FACT_AGENT_QUERY), 2);
    cs_snap_close(s2);
    struct cs_error verr = {0};
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &verr), CS_OK, "%s", verr.message);
    cs_store_close(st);
}

Test(row_groups, group_puts_replace_add_and_remove_one_group)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    put_group(txn, CS_T_DIM_CONVERSATION, 0, 0, 0, 40, 5);
    put_group(txn, CS_T_DIM_CONVERSATION, 0, 4, 40, 10, 5);
    put_group(txn, CS_T_DIM_CONVERSATION, 0, 2, 50, 10, 9); /* to be removed */
    commit(txn);
    struct cs_snap *snap = snap_of(st);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_DIM_CONVERSATION), 3);
    cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 1).seq, 2);
    cs_snap_close(snap);

    txn = begin(st);
    struct cs_batch none;
    fx_batch(&none, CS_T_DIM_CONVERSATION, 0, 0, NULLS_NONE, 0);
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_put_group(txn, CS_T_DIM_CONVERSATION, 0, 2, &none, &err), CS_OK);
    cr_assert_eq(cs_txn_put_group(txn, CS_T_DIM_CONVERSATION, 0, 65535, &none, &err), CS_EINVAL);
    cs_batch_free(&none);
    put_group(txn, CS_T_DIM_CONVERSATION, 0, 4, 40, 20, 5); /* group 4 grows */
    append(txn, CS_T_DIM_CONVERSATION, 0, 60, 6, 5);        /* after the last: group 5 */
    commit(txn);
    snap = snap_of(st);
    check_day(snap, CS_T_DIM_CONVERSATION, 0, 66, 5, 3);
    cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 2).seq, 5);
    cs_snap_close(snap);
    struct cs_error verr = {0};
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &verr), CS_OK, "%s", verr.message);
    cs_store_close(st);
}

Test(row_groups, key_filters_have_no_false_negatives_and_few_false_positives)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_CONVERSATION));
    char id[32];
    for (int r = 0; r < 5000; r++) {
        int n = snprintf(id, sizeof(id), "conv-%06d", r);
        const struct cs_table_def *t = b.table;
        for (int c = 0; c < t->ncols; c++) {
            bool ok = c == CS_CONV_ID ? cs_col_push_str(&b.cols[c], id, (size_t)n)
                      : cs_type_kind(t->cols[c].type) == CS_K_STR
                          ? cs_col_push_str(&b.cols[c], "{}", 2)
                          : cs_col_push_i64(&b.cols[c], r + 1);
            cr_assert(ok);
        }
        b.rows++;
    }
    struct cs_error err = {0};
    cr_assert_eq(cs_txn_put_part(txn, CS_T_DIM_CONVERSATION, 0, &b, &err), CS_OK, "%s",
                 err.message);
    cs_batch_free(&b);
    fx_put(txn, CS_T_FACT_APPROVAL, 20250101, 10, NULLS_NONE, 1);
    commit(txn);
    struct cs_snap *snap = snap_of(st);
    struct cs_key_filter f;
    bool present = false;
    cr_assert_eq(cs_snap_key_filter(snap, CS_T_DIM_CONVERSATION, 0, &f, &present, &err), CS_OK);
    cr_assert(present);
    for (int r = 0; r < 5000; r++) {
        int n = snprintf(id, sizeof(id), "conv-%06d", r);
        cr_assert(cs_kf_may_contain(&f, cs_kf_hash(id, (size_t)n)), "%s", id);
    }
    int fp = 0;
    for (int r = 5000; r < 105000; r++) {
        int n = snprintf(id, sizeof(id), "conv-%06d", r);
        fp += cs_kf_may_contain(&f, cs_kf_hash(id, (size_t)n));
    }
    cr_assert_lt(fp, 10, "false positive rate %d / 100000", fp); /* ~1e-5 expected */
    cr_assert_eq(cs_snap_key_filter(snap, CS_T_FACT_APPROVAL, 0, &f, &present, &err), CS_OK);
    cr_assert(!present);
    cs_snap_close(snap);
    cs_store_close(st);
}

/* Rewrite a file of the store as format 1 wrote it (what a store of an older colstore holds). */
static void as_format_1(void)
{
    char path[4096];
    uint8_t *buf;
    size_t len;
    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    fx_read_file(path, &buf, &len);
    char name[64];
    memcpy(name, buf, 21);
    name[21] = '\0';
    free(buf);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fx_read_file(path, &buf, &len);
    /* format 1 partition entries are the first 40 bytes of format 2's 72 */
    const uint32_t nfiles = cs_get_u32(buf + 40);
    const uint32_t nparts = cs_get_u32(buf + 44);
    const size_t at = CS_MAN_HEADER_SIZE + (size_t)nfiles * CS_MAN_FILE_SIZE;
    cr_assert_eq(len, at + (size_t)nparts * CS_MAN_PART_SIZE);
    for (uint32_t i = 0; i < nparts; i++)
        memmove(buf + at + (size_t)i * CS_MAN_PART_SIZE_1, buf + at + (size_t)i * CS_MAN_PART_SIZE,
                CS_MAN_PART_SIZE_1);
    len = at + (size_t)nparts * CS_MAN_PART_SIZE_1;
    cs_put_u32(buf + 16, 1);
    cs_put_u64(buf + 32, (uint64_t)len);
    cs_put_u64(buf + 8, XXH64(buf + 16, len - 16, 0));
    fx_write_file(path, buf, len);
    for (uint32_t i = 0; i < nfiles; i++) {
        uint8_t *d;
        size_t dlen;
        snprintf(path, sizeof(path), "%s/data/%012llu.cseg", dir,
                 (unsigned long long)cs_get_u64(buf + 64 + 16 * i));
        fx_read_file(path, &d, &dlen);
        cs_put_u32(d + 8, 1);
        cs_put_u64(d + 24, XXH64(d, 24, 0));
        fx_write_file(path, d, dlen);
        free(d);
    }
    free(buf);
}

Test(row_groups, a_format_1_store_is_read_and_written)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_TRAINING, 20240301, 25, NULLS_SOME, 4);
    fx_put(txn, CS_T_AGG_DAILY, 20240301, 3, NULLS_NONE, 4);
    commit(txn);
    cs_store_close(st);
    as_format_1();

    st = open_store(CS_OPEN_WRITE);
    struct cs_error err = {0};
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    struct cs_snap *snap = snap_of(st);
    check_day(snap, CS_T_FACT_TRAINING, 20240301, 25, 4, 1);
    cs_snap_close(snap);
    txn = begin(st); /* the first commit writes format 2 */
    append(txn, CS_T_FACT_TRAINING, 20240301, 25, 5, 4);
    commit(txn);
    snap = snap_of(st);
    check_day(snap, CS_T_FACT_TRAINING, 20240301, 30, 4, 2);
    cs_snap_close(snap);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
}

Test(row_groups, a_format_1_manifest_with_a_row_group_number_is_damage)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    append(txn, CS_T_FACT_TRAINING, 20240301, 0, 5, 4);
    append(txn, CS_T_FACT_TRAINING, 20240301, 5, 5, 4); /* seq 1 */
    commit(txn);
    cs_store_close(st);
    as_format_1();
    struct cs_store *st2 = NULL;
    struct cs_error err = {0};
    int rc = cs_store_open(dir, CS_OPEN_READ, &st2, &err);
    struct cs_snap *snap = NULL;
    if (rc == CS_OK) rc = cs_snap_open(st2, &snap, &err);
    cr_assert_eq(rc, CS_ECORRUPT);
    cr_assert(strstr(err.message, "partition entry 1 is invalid") != NULL, "%s", err.message);
    cs_store_close(st2);
}

Test(row_groups, a_newer_format_is_refused_with_its_number)
{
    struct cs_store *st = open_store(CS_OPEN_WRITE | CS_OPEN_CREATE);
    struct cs_txn *txn = begin(st);
    fx_put(txn, CS_T_FACT_TRAINING, 20240301, 5, NULLS_SOME, 4);
    commit(txn);
    cs_store_close(st);
    char path[4096];
    snprintf(path, sizeof(path), "%s/MANIFEST-000000000001", dir);
    uint8_t *buf;
    size_t len;
    fx_read_file(path, &buf, &len);
    cs_put_u32(buf + 16, 3);
    cs_put_u64(buf + 8, XXH64(buf + 16, len - 16, 0));
    fx_write_file(path, buf, len);
    free(buf);
    struct cs_error err = {0};
    st = NULL;
    int rc = cs_store_open(dir, CS_OPEN_READ, &st, &err);
    struct cs_snap *snap = NULL;
    if (rc == CS_OK) rc = cs_snap_open(st, &snap, &err);
    cr_assert_eq(rc, CS_ECORRUPT);
    cr_assert(strstr(err.message, "unsupported manifest format version 3") != NULL, "%s",
              err.message);
    cs_store_close(st);
}
