/*
 * Dimension hash tables (dim_index.h): open addressing with linear probing, keyed with
 * XXH3_64bits, slots holding row index + 1 (0 = empty), at most half full.
 *
 * - key table: surrogate key (t->key_col) → row; a NULL or duplicate key is bad input.
 * - name table (t->name_col >= 0): natural key → the first row of a chain linking every row
 *   with that name through name_next[], in (valid_from, key) order for the SCD-2 tables
 *   dim_agent and dim_user, in key order where the table has no valid_from.
 */
#include "storage/dim_index.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "storage/base/limits.h"

static size_t slots_for(size_t rows)
{
    size_t n = 16;
    while (n < 2 * rows)
        n *= 2;
    return n;
}

static uint64_t key_hash(int64_t key)
{
    return XXH3_64bits(&key, sizeof(key));
}

static int build_key_index(struct cs_dim *d, struct cs_error *err)
{
    const struct cs_table_def *t = d->table;
    const struct cs_col *kc = &d->rows.cols[t->key_col];
    size_t n = slots_for(d->rows.rows);
    d->key_slots = calloc(n, sizeof(*d->key_slots));
    if (d->key_slots == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", t->name);
    d->key_mask = n - 1;
    for (size_t r = 0; r < d->rows.rows; r++) {
        if (cs_col_is_null(kc, r)) {
            return cs_error_set(err, CS_EINPUT, "%s: row %zu: %s is NULL", t->name, r,
                                t->cols[t->key_col].name);
        }
        int64_t key = kc->i64[r];
        size_t s = (size_t)key_hash(key) & d->key_mask;
        while (d->key_slots[s] != 0) {
            if (kc->i64[d->key_slots[s] - 1] == key) {
                return cs_error_set(err, CS_EINPUT, "%s: duplicate %s %" PRId64, t->name,
                                    t->cols[t->key_col].name, key);
            }
            s = (s + 1) & d->key_mask;
        }
        d->key_slots[s] = (uint32_t)(r + 1);
    }
    return CS_OK;
}

struct order_row {
    int64_t valid_from;
    int64_t key;
    uint32_t row;
};

static int cmp_order(const void *x, const void *y)
{
    const struct order_row *a = x, *b = y;
    if (a->valid_from != b->valid_from) return a->valid_from < b->valid_from ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->row < b->row ? -1 : (a->row > b->row ? 1 : 0);
}

/* version_order() - rows by (valid_from, key); valid_from NULL or absent sorts first. */
static struct order_row *version_order(const struct cs_dim *d)
{
    const struct cs_table_def *t = d->table;
    const int vf = t->scd.valid_from;
    const struct cs_col *kc = &d->rows.cols[t->key_col];
    const struct cs_col *vc = vf >= 0 ? &d->rows.cols[vf] : NULL;
    struct order_row *o = malloc((d->rows.rows + 1) * sizeof(*o));
    if (o == NULL) return NULL;
    bool sorted = true; /* stored dimensions are in key order: no sort for a table without
                         * valid_from (dim_conversation: 300 K rows at three years) */
    for (size_t r = 0; r < d->rows.rows; r++) {
        bool has_vf = vc != NULL && !cs_col_is_null(vc, r);
        o[r] = (struct order_row){has_vf ? vc->i64[r] : INT64_MIN, kc->i64[r], (uint32_t)r};
        if (r > 0 && sorted && cmp_order(&o[r - 1], &o[r]) > 0) sorted = false;
    }
    if (!sorted) qsort(o, d->rows.rows, sizeof(*o), cmp_order);
    return o;
}

static bool name_is(const struct cs_dim *d, uint32_t row, const char *name, size_t len)
{
    size_t rl;
    const char *s = cs_col_str(&d->rows.cols[d->table->name_col], row, &rl);
    return rl == len && (len == 0 || memcmp(s, name, len) == 0);
}

static int build_name_index(struct cs_dim *d, struct cs_error *err)
{
    const struct cs_col *nc = &d->rows.cols[d->table->name_col];
    size_t n = slots_for(d->rows.rows);
    d->name_slots = calloc(n, sizeof(*d->name_slots));
    d->name_next = calloc(d->rows.rows + 1, sizeof(*d->name_next));
    uint32_t *tail = calloc(n, sizeof(*tail));
    struct order_row *o = version_order(d);
    int rc = CS_OK;
    if (d->name_slots == NULL || d->name_next == NULL || tail == NULL || o == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "%s: out of memory", d->table->name);
        goto out;
    }
    d->name_mask = n - 1;
    for (size_t i = 0; i < d->rows.rows; i++) {
        uint32_t r = o[i].row;
        if (cs_col_is_null(nc, r)) continue;
        size_t len;
        const char *name = cs_col_str(nc, r, &len);
        size_t s = (size_t)XXH3_64bits(name, len) & d->name_mask;
        while (d->name_slots[s] != 0 && !name_is(d, d->name_slots[s] - 1, name, len)) {
            s = (s + 1) & d->name_mask;
        }
        if (d->name_slots[s] == 0) {
            d->name_slots[s] = r + 1;
        } else {
            d->name_next[tail[s] - 1] = r + 1;
        }
        tail[s] = r + 1;
    }
out:
    free(tail);
    free(o);
    return rc;
}

int cs_dim_build(const struct cs_table_def *t,
                 struct cs_batch *rows,
                 struct cs_dim **out,
                 struct cs_error *err)
{
    *out = NULL;
    if (t == NULL || t->is_fact || rows == NULL || rows->table != t) {
        return cs_error_set(err, CS_EINVAL, "dimension index: batch is not of a dimension table");
    }
    if (rows->rows > CS_MAX_PARTITION_ROWS) {
        return cs_error_set(err, CS_EINVAL, "%s: %zu rows exceed the limit", t->name, rows->rows);
    }
    struct cs_dim *d = calloc(1, sizeof(*d));
    if (d == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", t->name);
    d->table = t;
    d->rows = *rows; /* take the arrays; the caller's batch becomes empty */
    cs_batch_init(rows, t);
    int rc = build_key_index(d, err);
    if (rc == CS_OK && t->name_col >= 0) rc = build_name_index(d, err);
    if (rc != CS_OK) {
        cs_dim_free(d);
        return rc;
    }
    *out = d;
    return CS_OK;
}

int cs_dim_load(struct cs_snap *snap, int table, struct cs_dim **out, struct cs_error *err)
{
    *out = NULL;
    const struct cs_table_def *t = cs_schema_table(table);
    if (t == NULL || t->is_fact) {
        return cs_error_set(err, CS_EINVAL, "table %d is not a dimension", table);
    }
    struct cs_batch b;
    cs_batch_init(&b, t);
    int rc = CS_OK;
    const size_t n = cs_snap_part_count(snap, table);
    if (n > 0) rc = cs_snap_read_groups(snap, table, 0, n, NULL, 0, &b, err); /* every chunk */
    if (rc == CS_OK) rc = cs_dim_build(t, &b, out, err);
    cs_batch_free(&b);
    return rc;
}

void cs_dim_free(struct cs_dim *d)
{
    if (d == NULL) return;
    cs_batch_free(&d->rows);
    free(d->key_slots);
    free(d->name_slots);
    free(d->name_next);
    free(d);
}

int64_t cs_dim_row_by_key(const struct cs_dim *d, int64_t key)
{
    const int64_t *keys = d->rows.cols[d->table->key_col].i64;
    size_t s = (size_t)key_hash(key) & d->key_mask;
    while (d->key_slots[s] != 0) {
        uint32_t r = d->key_slots[s] - 1;
        if (keys[r] == key) return r;
        s = (s + 1) & d->key_mask;
    }
    return -1;
}

int64_t cs_dim_first_row_by_name(const struct cs_dim *d, const char *name, size_t len)
{
    if (d->name_slots == NULL) return -1;
    size_t s = (size_t)XXH3_64bits(name, len) & d->name_mask;
    while (d->name_slots[s] != 0) {
        uint32_t r = d->name_slots[s] - 1;
        if (name_is(d, r, name, len)) return r;
        s = (s + 1) & d->name_mask;
    }
    return -1;
}

int64_t cs_dim_next_row_by_name(const struct cs_dim *d, int64_t row)
{
    if (d->name_next == NULL || row < 0 || (size_t)row >= d->rows.rows) return -1;
    return (int64_t)d->name_next[row] - 1;
}
