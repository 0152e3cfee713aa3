/*
 * A dimension changed a chunk at a time (engine/dim_chunks.h): bulk puts split into chunks,
 * lookups read only the chunks whose key filter may hold the name, a changed row rewrites its
 * chunk only, new rows become a new chunk, and a large chunk without a filter is rewritten as
 * chunks when it changes.
 */
#include <criterion/criterion.h>

#include "engine/dim_chunks.h"
#include "engine/engine.h"
#include "tests/engine/fixture.h"

static void rm_store(char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(dir);
}

static const struct cs_table_def *conv(void)
{
    return cs_schema_table(CS_T_DIM_CONVERSATION);
}

/* rows [from, to) of a conversation dimension: key k + 1, id "conv-k", counters 0 */
static void conv_rows(struct cs_batch *b, size_t from, size_t to)
{
    cs_batch_init(b, conv());
    char id[32];
    for (size_t k = from; k < to; k++) {
        const int n = snprintf(id, sizeof(id), "conv-%zu", k);
        bool ok = cs_col_push_i64(&b->cols[CS_CONV_KEY], (int64_t)k + 1) &&
                  cs_col_push_str(&b->cols[CS_CONV_ID], id, (size_t)n) &&
                  cs_col_push_i64(&b->cols[CS_CONV_FIRST_SEEN], 1000) &&
                  cs_col_push_i64(&b->cols[CS_CONV_LAST_SEEN], 2000) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_QUERIES], 0) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_APPROVALS], 0) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_FEEDBACK], 0) &&
                  cs_col_push_str(&b->cols[CS_CONV_METADATA], "{}", 2);
        cr_assert(ok);
        b->rows++;
    }
}

static colstore_store *store_with(size_t rows, char **dir)
{
    *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(*dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    struct cs_session s;
    struct cs_error e = {0};
    cr_assert_eq(cs_session_begin(st, &s, 0, &e), CS_OK, "%s", e.message);
    struct cs_batch b;
    conv_rows(&b, 0, rows);
    cr_assert_eq(cs_session_put_dim(&s, CS_T_DIM_CONVERSATION, &b, &e), CS_OK, "%s", e.message);
    cs_batch_free(&b);
    cr_assert_eq(cs_session_finish(&s, true, &e), CS_OK, "%s", e.message);
    return st;
}

static void find(struct cs_dimc *d, const char *name, bool want, struct cs_dimc_row *at)
{
    bool found = false;
    struct cs_error e = {0};
    cr_assert_eq(cs_dimc_find(d, name, strlen(name), at, &found, &e), CS_OK, "%s", e.message);
    cr_assert_eq(found, want, "%s", name);
}

static void dump(colstore_store *st, char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    colstore_error err;
    cr_assert_eq(colstore_dump(st, "dim_conversation", COLSTORE_FORMAT_TEXT, f, &err), COLSTORE_OK,
                 "%s", err.message);
    fclose(f);
}

Test(dim_chunks, bulk_puts_are_chunked_and_lookups_read_only_candidate_chunks)
{
    char *dir;
    const size_t rows = 3 * CS_DIM_CHUNK_ROWS + 100;
    colstore_store *st = store_with(rows, &dir);
    struct cs_snap *snap = NULL;
    struct cs_error e = {0};
    cr_assert_eq(cs_snap_open(st->st, &snap, &e), CS_OK);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_DIM_CONVERSATION), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, i).rows,
                     i < 3 ? CS_DIM_CHUNK_ROWS : 100);
    struct cs_dimc d;
    cr_assert_eq(cs_dimc_open(snap, CS_T_DIM_CONVERSATION, &d, &e), CS_OK, "%s", e.message);
    cr_assert_eq(d.next_key, (int64_t)rows + 1);
    struct cs_dimc_row at;
    char name[32];
    snprintf(name, sizeof(name), "conv-%u", 2 * CS_DIM_CHUNK_ROWS + 5); /* in chunk 2 */
    find(&d, name, true, &at);
    cr_assert_eq(at.chunk, 2);
    cr_assert_eq(at.rows->cols[CS_CONV_KEY].i64[at.row], 2 * CS_DIM_CHUNK_ROWS + 6);
    cr_assert_eq(d.loaded, 1);
    cr_assert_leq(d.named, 2, "%zu chunks read for one name", d.named); /* 1, or a false positive */
    int misses = 0;
    for (int k = 0; k < 200; k++) { /* names no chunk holds: hardly anything is read */
        snprintf(name, sizeof(name), "new-%d", k);
        find(&d, name, false, &at);
        misses++;
    }
    cr_assert_leq(d.named, 3, "%zu chunks read", d.named);
    cr_assert_eq(d.loaded, 1);
    cs_dimc_free(&d);
    cs_snap_close(snap);
    colstore_close(st);
    rm_store(dir);
}

Test(dim_chunks, a_change_rewrites_its_chunk_and_new_rows_make_a_new_chunk)
{
    char *dir;
    const size_t rows = 2 * CS_DIM_CHUNK_ROWS + 10;
    colstore_store *st = store_with(rows, &dir);
    struct cs_session s;
    struct cs_error e = {0};
    cr_assert_eq(cs_session_begin(st, &s, 0, &e), CS_OK, "%s", e.message);
    struct cs_dimc d;
    cr_assert_eq(cs_dimc_open(s.snap, CS_T_DIM_CONVERSATION, &d, &e), CS_OK, "%s", e.message);
    struct cs_dimc_row at;
    char name[32];
    snprintf(name, sizeof(name), "conv-%u", CS_DIM_CHUNK_ROWS + 3); /* chunk 1 */
    find(&d, name, true, &at);
    at.rows->cols[CS_CONV_TOTAL_QUERIES].i64[at.row] = 42;
    cs_dimc_dirty(&d, &at);
    cs_dimc_add(&d, &at);
    struct cs_batch one;
    conv_rows(&one, rows, rows + 1); /* key rows + 1 = next_key */
    cr_assert_eq(d.next_key, (int64_t)rows + 1);
    cr_assert(cs_batch_append_range(at.rows, &one, 0, 1));
    at.rows->rows--; /* cs_dimc_added() counts the row */
    cr_assert_eq(cs_dimc_added(&d, "conv-new", 8, &e), CS_OK);
    cs_batch_free(&one);
    find(&d, "conv-new", true, &at);
    cr_assert_eq(at.chunk, d.nchunks);
    cr_assert(cs_dimc_changed(&d));
    cr_assert_eq(cs_dimc_put(&s, &d, &e), CS_OK, "%s", e.message);
    cs_dimc_free(&d);
    cr_assert_eq(cs_session_finish(&s, true, &e), CS_OK, "%s", e.message);

    struct cs_snap *snap = NULL;
    cr_assert_eq(cs_snap_open(st->st, &snap, &e), CS_OK);
    cr_assert_eq(cs_snap_part_count(snap, CS_T_DIM_CONVERSATION), 4);
    /* chunks 0 and 2 are the blocks of the first commit; chunk 1 was rewritten, 3 is new */
    const uint64_t first = cs_snap_part(snap, CS_T_DIM_CONVERSATION, 0).file_id;
    cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 2).file_id, first);
    cr_assert_neq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 1).file_id, first);
    cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 3).rows, 1);
    cr_assert_eq(cs_snap_part(snap, CS_T_DIM_CONVERSATION, 3).seq, 3);
    cs_snap_close(snap);
    char *text = NULL;
    size_t text_len = 0;
    dump(st, &text, &text_len);
    snprintf(name, sizeof(name), "\tconv-%u\t", CS_DIM_CHUNK_ROWS + 3);
    const size_t at_row = (size_t)(strstr(text, name) - text);
    cr_assert_lt(at_row, strlen(text));
    cr_assert_eq(strncmp(strchr(text + at_row + 1, '\n') - 10, "\t42\t0\t0\t{}", 10), 0);
    cr_assert(strstr(text, "\nconv-new\t") == NULL); /* the added row has id "conv-<rows>" */
    char last[64];
    snprintf(last, sizeof(last), "%zu\tconv-%zu\t", rows + 1, rows);
    cr_assert(strstr(text, last) != NULL, "%s missing", last);
    free(text);
    colstore_close(st);
    rm_store(dir);
}
