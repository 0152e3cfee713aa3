/* Dimension hash tables (storage/dim_index.h). */
#include "tests/storage/store_fixture.h"

#include "storage/dim_index.h"

static void push_agent(struct cs_batch *b, int64_t key, const char *name, int64_t valid_from)
{
    for (int c = 0; c < CS_AGENT_NCOLS; c++) {
        struct cs_col *col = &b->cols[c];
        bool ok;
        switch (c) {
        case CS_AGENT_KEY:
            ok = cs_col_push_i64(col, key);
            break;
        case CS_AGENT_NAME:
            ok = cs_col_push_str(col, name, strlen(name));
            break;
        case CS_AGENT_TYPE:
            ok = cs_col_push_str(col, "qa", 2);
            break;
        case CS_AGENT_CAPABILITIES:
            ok = cs_col_push_null(col);
            break;
        case CS_AGENT_SLA:
            ok = cs_col_push_i64(col, 300);
            break;
        case CS_AGENT_COST:
            ok = cs_col_push_i64(col, 1500);
            break;
        case CS_AGENT_VALID_FROM:
            ok = cs_col_push_i64(col, valid_from);
            break;
        case CS_AGENT_VALID_TO:
            ok = cs_col_push_null(col);
            break;
        default:
            ok = cs_col_push_bool(col, true);
            break;
        }
        cr_assert(ok);
    }
    b->rows++;
}

static struct cs_dim *build(struct cs_batch *b)
{
    struct cs_dim *d = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_dim_build(b->table, b, &d, &err), CS_OK, "%s", err.message);
    return d;
}

Test(dim_index, agent_versions_chain_in_valid_from_order)
{
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_AGENT));
    push_agent(&b, 3, "sql-bot", 300); /* rows deliberately not in valid_from order */
    push_agent(&b, 1, "sql-bot", 100);
    push_agent(&b, 2, "helper", 100);
    push_agent(&b, 4, "sql-bot", 200);
    push_agent(&b, 5, "", 50);         /* empty name is a name */
    push_agent(&b, 6, "sql-bot", 200); /* same valid_from as key 4: key breaks the tie */
    struct cs_dim *d = build(&b);
    cr_assert_eq(b.rows, 0); /* ownership moved */
    cr_assert_eq(d->rows.rows, 6);

    const int64_t want[] = {1, 3, 5, 0}; /* rows of keys 1, 4, 6, 3 */
    int64_t r = cs_dim_first_row_by_name(d, "sql-bot", 7);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(r, want[i], "version %zu", i);
        r = cs_dim_next_row_by_name(d, r);
    }
    cr_assert_eq(r, -1);
    cr_assert_eq(cs_dim_first_row_by_name(d, "helper", 6), 2);
    cr_assert_eq(cs_dim_next_row_by_name(d, 2), -1);
    cr_assert_eq(cs_dim_first_row_by_name(d, "", 0), 4);
    cr_assert_eq(cs_dim_first_row_by_name(d, "sql-bo", 6), -1);
    cr_assert_eq(cs_dim_first_row_by_name(d, "sql-bot!", 8), -1);
    for (int64_t k = 1; k <= 6; k++) {
        int64_t row = cs_dim_row_by_key(d, k);
        cr_assert_geq(row, 0);
        cr_assert_eq(d->rows.cols[CS_AGENT_KEY].i64[row], k);
    }
    cr_assert_eq(cs_dim_row_by_key(d, 7), -1);
    cr_assert_eq(cs_dim_row_by_key(d, -1), -1);
    cs_dim_free(d);
    cs_batch_free(&b);
}

Test(dim_index, duplicate_or_null_key_is_bad_input)
{
    struct cs_batch b;
    struct cs_dim *d = NULL;
    struct cs_error err = {0};
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_AGENT));
    push_agent(&b, 7, "a", 1);
    push_agent(&b, 7, "b", 1);
    cr_assert_eq(cs_dim_build(b.table, &b, &d, &err), CS_EINPUT);
    cr_assert_null(d);
    cr_assert_str_eq(err.message, "dim_agent: duplicate agent_key 7");
    cs_batch_free(&b);

    cs_batch_init(&b, cs_schema_table(CS_T_DIM_TIME));
    for (int c = 0; c < CS_TIME_NCOLS; c++)
        cr_assert(cs_col_push_null(&b.cols[c]));
    b.rows = 1;
    cr_assert_eq(cs_dim_build(b.table, &b, &d, &err), CS_EINPUT);
    cr_assert_str_eq(err.message, "dim_time: row 0: time_key is NULL");
    cs_batch_free(&b);

    cs_batch_init(&b, cs_schema_table(CS_T_FACT_APPROVAL));
    cr_assert_eq(cs_dim_build(b.table, &b, &d, &err), CS_EINVAL);
    cs_batch_free(&b);
}

Test(dim_index, load_from_store_large_and_empty)
{
    char *dir = fx_tmpdir();
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK);
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_CONVERSATION));
    char id[32];
    for (int64_t k = 1; k <= 50000; k++) {
        int n = snprintf(id, sizeof(id), "conv-%05lld", (long long)(k * 7919 % 100003));
        cr_assert(cs_col_push_i64(&b.cols[CS_CONV_KEY], k));
        cr_assert(cs_col_push_str(&b.cols[CS_CONV_ID], id, (size_t)n));
        for (int c = CS_CONV_FIRST_SEEN; c < CS_CONV_METADATA; c++) {
            cr_assert(cs_col_push_i64(&b.cols[c], k));
        }
        cr_assert(cs_col_push_str(&b.cols[CS_CONV_METADATA], "{}", 2));
        b.rows++;
    }
    cr_assert_eq(cs_txn_put_part(txn, CS_T_DIM_CONVERSATION, 0, &b, &err), CS_OK, "%s",
                 err.message);
    cs_batch_free(&b);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);

    struct cs_snap *snap = NULL;
    struct cs_dim *d = NULL;
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    cr_assert_eq(cs_dim_load(snap, CS_T_DIM_CONVERSATION, &d, &err), CS_OK, "%s", err.message);
    cr_assert_eq(d->rows.rows, 50000);
    for (int64_t k = 1; k <= 50000; k += 97) {
        int n = snprintf(id, sizeof(id), "conv-%05lld", (long long)(k * 7919 % 100003));
        int64_t row = cs_dim_first_row_by_name(d, id, (size_t)n);
        cr_assert_eq(row, k - 1);
        cr_assert_eq(cs_dim_next_row_by_name(d, row), -1);
        cr_assert_eq(cs_dim_row_by_key(d, k), k - 1);
    }
    cs_dim_free(d);
    cr_assert_eq(cs_dim_load(snap, CS_T_DIM_USER, &d, &err), CS_OK); /* nothing stored */
    cr_assert_eq(d->rows.rows, 0);
    cr_assert_eq(cs_dim_row_by_key(d, 1), -1);
    cr_assert_eq(cs_dim_first_row_by_name(d, "x", 1), -1);
    cs_dim_free(d);
    cr_assert_eq(cs_dim_load(snap, CS_T_FACT_APPROVAL, &d, &err), CS_EINVAL);
    cs_snap_close(snap);
    cs_store_close(st);
    fx_rmrf(dir);
    free(dir);
}
