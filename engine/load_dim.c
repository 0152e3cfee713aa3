/*
 * Loading a dimension export (dim_agent, dim_time, dim_conversation, dim_user).
 *
 * A dimension is one partition (time_key 0) rewritten whole, as chunks of CS_DIM_CHUNK_ROWS
 * rows (dim_chunks.h: nightly loads rewrite one chunk at a time). Each parsed row is
 * - skipped when its surrogate key is stored (or earlier in the export) with the same values;
 * - a conflict (bad input) when that key holds different values;
 * - a conflict when its natural key is taken: conversation_id and user_id are unique, and an
 *   agent_name has at most one current (is_current) version (docs/contract.md, nightly job: the seed's UNIQUE
 *   cannot hold under SCD-2);
 * - otherwise added. The result is ordered by surrogate key.
 */
#include "engine/dim_chunks.h"
#include "engine/load.h"
#include "engine/session.h"

#include <stdio.h>
#include <stdlib.h>

struct dim_check {
    struct cs_load *ld;
    const struct cs_batch *old; /* stored rows */
    struct cs_batch *add;       /* parsed rows */
    uint8_t *keep;
    struct cs_hmap keys;  /* key → (src << 32 | row), src 0 old / 1 add */
    struct cs_hmap names; /* natural key → key of its (current) holder */
};

/* Whether row r takes part in its natural key's uniqueness (schema: name_rule). */
static bool is_current_row(const struct cs_batch *b, size_t r)
{
    if (b->table->name_rule != CS_NAME_UNIQUE_CURRENT) return true;
    const struct cs_col *c = &b->cols[b->table->scd.is_current];
    return !cs_col_is_null(c, r) && c->b8[r] != 0;
}

static bool index_row(struct dim_check *dc, const struct cs_batch *b, uint32_t src, size_t r)
{
    const struct cs_table_def *t = b->table;
    const int64_t key = b->cols[t->key_col].i64[r];
    if (!cs_hmap_put(&dc->keys, key, ((uint64_t)src << 32) | r)) return false;
    if (t->name_col >= 0 && is_current_row(b, r)) {
        size_t len;
        const char *s = cs_col_str(&b->cols[t->name_col], r, &len);
        if (!cs_hmap_put_str(&dc->names, s, len, (uint64_t)key)) return false;
    }
    return true;
}

static int reject(struct dim_check *dc, size_t r, const char *column, const char *reason)
{
    return cs_parser_reject(dc->ld->parser, dc->add, r, column, reason, &dc->ld->e);
}

/* Decide the fate of parsed row r: keep, skip (duplicate), or reject (conflict). */
static int check_row(struct dim_check *dc, size_t r)
{
    const struct cs_table_def *t = dc->add->table;
    const char *key_name = t->cols[t->key_col].name;
    const int64_t key = dc->add->cols[t->key_col].i64[r];
    char reason[256];
    const uint64_t *hit = cs_hmap_get(&dc->keys, key);
    if (hit != NULL) {
        const struct cs_batch *b = (*hit >> 32) == 0 ? dc->old : dc->add;
        if (cs_rows_equal(dc->add, r, b, (size_t)(*hit & 0xffffffffu))) {
            dc->ld->stats.rows_skipped++;
            return CS_OK;
        }
        snprintf(reason, sizeof(reason), "%s %lld is already stored with different values",
                 key_name, (long long)key);
        return reject(dc, r, key_name, reason);
    }
    if (t->name_col >= 0 && is_current_row(dc->add, r)) {
        size_t len;
        const char *s = cs_col_str(&dc->add->cols[t->name_col], r, &len);
        const uint64_t *holder = cs_hmap_get_str(&dc->names, s, len);
        if (holder != NULL) {
            snprintf(reason, sizeof(reason), "duplicate value \"%.*s\" (already %s %lld%s)",
                     (int)(len > 80 ? 80 : len), s, key_name, (long long)*holder,
                     t->name_rule == CS_NAME_UNIQUE_CURRENT ? ", current" : "");
            return reject(dc, r, t->cols[t->name_col].name, reason);
        }
    }
    if (!index_row(dc, dc->add, 1, r)) return cs_error_set(&dc->ld->e, CS_ENOMEM, "out of memory");
    dc->keep[r] = 1;
    return CS_OK;
}

static int parse_all(struct cs_load *ld, struct cs_batch *all)
{
    struct cs_batch chunk;
    cs_batch_init(&chunk, ld->t);
    int rc = CS_OK;
    for (;;) {
        rc = cs_parser_next(ld->parser, &chunk, CS_PARSE_BATCH_ROWS, &ld->e);
        if (rc != CS_OK || chunk.rows == 0) break;
        for (size_t r = 0; r < chunk.rows; r++) {
            if (!cs_batch_push_row_from(all, &chunk, r)) {
                rc = cs_error_set(&ld->e, CS_ENOMEM, "out of memory");
                break;
            }
        }
        ld->stats.rows_read += chunk.rows;
        if (rc == CS_OK) rc = cs_load_progress(ld);
        if (rc != CS_OK) break;
    }
    cs_batch_free(&chunk);
    return rc;
}

static int check_all(struct dim_check *dc)
{
    size_t expect = dc->old->rows + dc->add->rows;
    if (!cs_hmap_init(&dc->keys, false, expect) || !cs_hmap_init(&dc->names, true, expect))
        return cs_error_set(&dc->ld->e, CS_ENOMEM, "out of memory");
    for (size_t r = 0; r < dc->old->rows; r++) {
        if (!index_row(dc, dc->old, 0, r))
            return cs_error_set(&dc->ld->e, CS_ENOMEM, "out of memory");
    }
    for (size_t r = 0; r < dc->add->rows; r++) {
        int rc = check_row(dc, r);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

int cs_load_dim(struct cs_load *ld)
{
    struct cs_dim *dim = NULL;
    int rc = cs_dim_load(ld->snap, ld->t->id, &dim, &ld->e);
    if (rc != CS_OK) return rc;
    struct cs_batch add, merged;
    cs_batch_init(&add, ld->t);
    cs_batch_init(&merged, ld->t);
    struct dim_check dc = {.ld = ld, .old = &dim->rows, .add = &add};
    rc = parse_all(ld, &add);
    if (rc == CS_OK) {
        dc.keep = calloc(add.rows ? add.rows : 1, 1);
        rc = dc.keep == NULL ? cs_error_set(&ld->e, CS_ENOMEM, "out of memory") : check_all(&dc);
    }
    size_t added = 0;
    for (size_t r = 0; rc == CS_OK && r < add.rows; r++)
        added += dc.keep[r];
    if (rc == CS_OK && added > 0) {
        rc = cs_merge_by_key(&dim->rows, &add, dc.keep, &merged, &ld->e);
        if (rc == CS_OK) rc = cs_session_put_dim(ld->sess, ld->t->id, &merged, &ld->e);
        if (rc == CS_OK) {
            ld->stats.rows_loaded = added;
            ld->stats.partitions_written = 1;
        }
    }
    cs_hmap_free(&dc.keys);
    cs_hmap_free(&dc.names);
    free(dc.keep);
    cs_batch_free(&add);
    cs_batch_free(&merged);
    cs_dim_free(dim);
    return rc;
}
