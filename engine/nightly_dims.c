/*
 * The nightly job's dimension policies (docs/contract.md):
 * - dim_agent, SCD-2 close-and-insert: an agent whose compared attributes changed gets its
 *   current version closed (valid_to = load time, is_current false) and a new version with
 *   every attribute of the export; a new name gets its first version; new versions take keys
 *   in agent_name order (bytewise); an agent missing from the export is left as it is.
 * - dim_user, insert-only: an unknown id is inserted (team NULL, valid from the load time).
 * - dim_conversation, maintained: an unknown id is inserted; first/last seen widen to every
 *   loaded row's created_at, and the counter of the row's table grows by one.
 * dim_user and dim_conversation are read and written a chunk at a time (dim_chunks.h): the
 * night reads the chunks that may hold its ids and rewrites those it changes; new rows go into
 * a new chunk. dim_agent (a few versions per agent, all needed for SCD-2) is read whole.
 * The compared attributes are the export's columns that dim_agent also has, but the name
 * (schema-driven: the operational agents table describes them).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/nightly.h"

static int oom(struct cs_night *n)
{
    return cs_error_set(&n->e, CS_ENOMEM, "out of memory");
}

int cs_dim_edit_open(struct cs_night *n, int table, struct cs_dim_edit *d)
{
    memset(d, 0, sizeof(*d));
    d->t = cs_schema_table(table);
    int rc = cs_dim_load(n->sess->snap, table, &d->dim, &n->e);
    if (rc != CS_OK) return rc;
    d->nstored = d->dim->rows.rows;
    if (!cs_hmap_init(&d->added, true, 64)) return oom(n);
    int64_t max = 0;
    const struct cs_col *k = &d->dim->rows.cols[d->t->key_col];
    for (size_t r = 0; r < k->len; r++)
        max = k->i64[r] > max ? k->i64[r] : max;
    d->next_key = max + 1;
    return CS_OK;
}

void cs_dim_edit_free(struct cs_dim_edit *d)
{
    cs_dim_free(d->dim);
    d->dim = NULL;
    if (d->added.cap != 0) cs_hmap_free(&d->added);
    memset(&d->added, 0, sizeof(d->added));
}

int cs_dim_edit_put(struct cs_night *n, struct cs_dim_edit *d)
{
    if (!d->changed) return CS_OK;
    /* stored rows are in key order and appended keys are larger: the batch is in key order */
    struct cs_batch rows = d->dim->rows;
    cs_batch_init(&d->dim->rows, d->t); /* the session takes the arrays */
    return cs_session_put_dim(n->sess, d->t->id, &rows, &n->e);
}

int cs_night_dims_open(struct cs_night *n)
{
    int rc = cs_dim_edit_open(n, CS_T_DIM_AGENT, &n->agents);
    if (rc == CS_OK) rc = cs_dimc_open(n->sess->snap, CS_T_DIM_CONVERSATION, &n->convs, &n->e);
    if (rc == CS_OK) rc = cs_dimc_open(n->sess->snap, CS_T_DIM_USER, &n->users, &n->e);
    return rc;
}

int cs_night_dims_put(struct cs_night *n)
{
    int rc = cs_dim_edit_put(n, &n->agents);
    if (rc == CS_OK) rc = cs_dimc_put(n->sess, &n->convs, &n->e);
    if (rc == CS_OK) rc = cs_dimc_put(n->sess, &n->users, &n->e);
    return rc;
}

void cs_night_dims_free(struct cs_night *n)
{
    cs_dim_edit_free(&n->agents);
    cs_dimc_free(&n->convs);
    cs_dimc_free(&n->users);
}

/* set_i64() - column c of row r := v (clearing a NULL). */
static void set_i64(struct cs_col *c, size_t r, int64_t v)
{
    if (c->nulls != NULL && c->nulls[r]) {
        c->nulls[r] = 0;
        c->null_count--;
    }
    c->i64[r] = v;
}

/* Row of natural key s[0..len) (the current version for dim_agent), or -1. */
static int64_t find_row(const struct cs_dim_edit *d, const char *s, size_t len)
{
    const uint64_t *a = cs_hmap_get_str(&d->added, s, len);
    if (a != NULL) return (int64_t)*a;
    int64_t row = cs_dim_first_row_by_name(d->dim, s, len);
    if (d->t->name_rule != CS_NAME_UNIQUE_CURRENT) return row;
    const struct cs_col *cur = &d->dim->rows.cols[d->t->scd.is_current];
    int64_t found = -1;
    for (; row >= 0; row = cs_dim_next_row_by_name(d->dim, row)) {
        if (!cs_col_is_null(cur, (size_t)row) && cur->b8[row]) found = row;
    }
    return found;
}

/* ---- dim_agent: SCD-2 ---- */

struct name_ref {
    const char *s;
    size_t len;
    uint32_t row;
};

/* agent_name bytewise, then file order (a duplicate's later line is the one rejected) */
static int cmp_name_ref(const void *pa, const void *pb)
{
    const struct name_ref *x = pa, *y = pb;
    const int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c != 0) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->row < y->row ? -1 : (x->row > y->row);
}

/* s->order := the export's rows by agent_name. */
static int sort_by_name(struct cs_night *n, struct cs_night_src *s)
{
    struct name_ref *refs = malloc((s->rows.rows + 1) * sizeof(*refs));
    if (refs == NULL) return oom(n);
    for (size_t r = 0; r < s->rows.rows; r++) {
        refs[r].s = cs_col_str(&s->rows.cols[CS_OA_NAME], r, &refs[r].len);
        refs[r].row = (uint32_t)r;
    }
    qsort(refs, s->rows.rows, sizeof(*refs), cmp_name_ref);
    for (size_t r = 0; r < s->rows.rows; r++)
        s->order[r] = refs[r].row;
    free(refs);
    return CS_OK;
}

/* dim_agent column of each agents column (by name), -1 for none. */
static void attr_map(const struct cs_table_def *op, const struct cs_table_def *dim, int *map)
{
    for (int c = 0; c < op->ncols; c++) {
        const char *name = op->cols[c].name;
        map[c] = cs_schema_find_column(dim, name, strlen(name));
    }
}

static bool attrs_equal(
    const struct cs_batch *ex, size_t r, const struct cs_batch *dim, size_t dr, const int *map)
{
    for (int c = 0; c < ex->table->ncols; c++) {
        /* map: attr_map() of this export's table */
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
        if (c == CS_OA_NAME || map[c] < 0) continue;
        if (!cs_col_equal_at(&ex->cols[c], r, &dim->cols[map[c]], dr)) return false;
    }
    return true;
}

/* Append a new version of agent row r of the export. */
static int add_version(struct cs_night *n, const struct cs_batch *ex, size_t r, const int *map)
{
    struct cs_dim_edit *d = &n->agents;
    struct cs_batch *b = &d->dim->rows;
    const struct cs_table_def *t = d->t;
    int from_export[CS_MAX_COLS];
    for (int c = 0; c < t->ncols; c++)
        from_export[c] = -1;
    for (int c = 0; c < ex->table->ncols; c++) {
        if (map[c] >= 0) from_export[map[c]] = c;
    }
    bool ok = true;
    for (int c = 0; c < t->ncols && ok; c++) {
        struct cs_col *col = &b->cols[c];
        if (c == t->key_col)
            ok = cs_col_push_i64(col, d->next_key);
        else if (c == t->scd.valid_from)
            ok = cs_col_push_i64(col, n->load_time);
        else if (c == t->scd.valid_to)  /* NULL even if the export has the column */
            ok = cs_col_push_null(col); // NOLINT(bugprone-branch-clone)
        else if (c == t->scd.is_current)
            ok = cs_col_push_bool(col, true);
        else if (from_export[c] >= 0)
            ok = cs_col_push_from(col, &ex->cols[from_export[c]], r);
        else
            ok = cs_col_push_null(col);
    }
    if (!ok) return oom(n);
    b->rows++;
    d->next_key++;
    d->changed = true;
    n->stats.versions_added++;
    return CS_OK;
}

/* Rebuild the name index over every version (stored and new), for resolving facts. */
static int reindex_agents(struct cs_night *n)
{
    struct cs_dim_edit *d = &n->agents;
    struct cs_batch rows = d->dim->rows;
    cs_batch_init(&d->dim->rows, d->t);
    struct cs_dim *fresh = NULL;
    int rc = cs_dim_build(d->t, &rows, &fresh, &n->e);
    cs_batch_free(&rows);
    if (rc != CS_OK) return rc;
    cs_dim_free(d->dim);
    d->dim = fresh;
    d->nstored = fresh->rows.rows;
    return CS_OK;
}

static int
reject(struct cs_night *n, struct cs_night_src *s, size_t r, const char *column, const char *reason)
{
    s->state[r] = 2;
    s->counts.rejected++;
    return cs_parser_reject(s->parser, &s->rows, r, column, reason, &n->e);
}

int cs_night_agents(struct cs_night *n)
{
    struct cs_night_src *s = &n->src[CS_NI_AGENTS];
    const struct cs_batch *ex = &s->rows;
    int map[CS_MAX_COLS];
    attr_map(ex->table, n->agents.t, map);
    int rc = sort_by_name(n, s);
    for (size_t i = 0; i < ex->rows && rc == CS_OK; i++) {
        const uint32_t r = s->order[i];
        size_t len;
        const char *name = cs_col_str(&ex->cols[CS_OA_NAME], r, &len);
        if (i > 0) {
            size_t plen;
            const char *prev = cs_col_str(&ex->cols[CS_OA_NAME], s->order[i - 1], &plen);
            if (plen == len && memcmp(prev, name, len) == 0) {
                char reason[160];
                snprintf(reason, sizeof(reason), "duplicate agent_name \"%.*s\" in the export",
                         (int)(len > 80 ? 80 : len), name);
                rc = reject(n, s, r, "agent_name", reason);
                continue;
            }
        }
        const int64_t cur = find_row(&n->agents, name, len);
        struct cs_batch *dim = &n->agents.dim->rows;
        if (cur >= 0 && attrs_equal(ex, r, dim, (size_t)cur, map)) {
            s->state[r] = 1;
            s->counts.skipped++;
            continue;
        }
        if (cur >= 0) { /* close the current version */
            set_i64(&dim->cols[n->agents.t->scd.valid_to], (size_t)cur, n->load_time);
            dim->cols[n->agents.t->scd.is_current].b8[cur] = 0;
        }
        rc = add_version(n, ex, r, map);
        s->counts.loaded++;
    }
    if (rc == CS_OK && n->agents.changed) rc = reindex_agents(n);
    return rc;
}

bool cs_night_agent_at(
    const struct cs_night *n, const char *name, size_t len, int64_t ts, int64_t *key, int64_t *row)
{
    const struct cs_dim *d = n->agents.dim;
    const struct cs_table_def *t = n->agents.t;
    const struct cs_col *vf = &d->rows.cols[t->scd.valid_from];
    const struct cs_col *vt = &d->rows.cols[t->scd.valid_to];
    int64_t first = cs_dim_first_row_by_name(d, name, len), hit = -1;
    if (first < 0) return false;
    /* versions come in (valid_from, key) order: the last that covers ts is the newest one */
    for (int64_t r = first; r >= 0; r = cs_dim_next_row_by_name(d, r)) {
        const bool started = vf->i64[r] <= ts;
        const bool open = cs_col_is_null(vt, (size_t)r) || ts < vt->i64[r];
        if (started && open) hit = r;
    }
    if (hit < 0) hit = first; /* older than every version (or in a gap): the first one */
    *row = hit;
    *key = d->rows.cols[t->key_col].i64[hit];
    return true;
}

/* ---- dim_conversation: maintained ---- */

int cs_night_conversation(
    struct cs_night *n, const char *id, size_t len, int64_t ts, int counter_col, int64_t *key)
{
    struct cs_dimc *d = &n->convs;
    struct cs_dimc_row at;
    bool found = false;
    int rc = cs_dimc_find(d, id, len, &at, &found, &n->e);
    if (rc != CS_OK) return rc;
    if (!found) {
        cs_dimc_add(d, &at);
        struct cs_batch *b = at.rows;
        bool ok = cs_col_push_i64(&b->cols[CS_CONV_KEY], d->next_key) &&
                  cs_col_push_str(&b->cols[CS_CONV_ID], id, len) &&
                  cs_col_push_i64(&b->cols[CS_CONV_FIRST_SEEN], ts) &&
                  cs_col_push_i64(&b->cols[CS_CONV_LAST_SEEN], ts) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_QUERIES], 0) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_APPROVALS], 0) &&
                  cs_col_push_i64(&b->cols[CS_CONV_TOTAL_FEEDBACK], 0) &&
                  cs_col_push_str(&b->cols[CS_CONV_METADATA], "{}", 2);
        if (!ok) return oom(n);
        rc = cs_dimc_added(d, id, len, &n->e);
        if (rc != CS_OK) return rc;
        n->stats.conversations_added++;
    }
    struct cs_batch *b = at.rows;
    const size_t row = at.row;
    /* first/last seen are NOT NULL (a NULL would be damage: left as it is) */
    int64_t *first = &b->cols[CS_CONV_FIRST_SEEN].i64[row];
    int64_t *last = &b->cols[CS_CONV_LAST_SEEN].i64[row];
    if (ts < *first) *first = ts;
    if (ts > *last) *last = ts;
    struct cs_col *cnt = &b->cols[counter_col];
    if (!cs_col_is_null(cnt, row)) cnt->i64[row]++; /* NULL + 1 stays NULL, as in SQL */
    cs_dimc_dirty(d, &at);
    *key = b->cols[CS_CONV_KEY].i64[row];
    return CS_OK;
}

/* ---- dim_user: insert-only ---- */

int cs_night_user(
    struct cs_night *n, const char *id, size_t len, const char *user_type, int64_t *key)
{
    struct cs_dimc *d = &n->users;
    struct cs_dimc_row at;
    bool found = false;
    int rc = cs_dimc_find(d, id, len, &at, &found, &n->e);
    if (rc != CS_OK) return rc;
    if (!found) {
        cs_dimc_add(d, &at);
        struct cs_batch *b = at.rows;
        bool ok = cs_col_push_i64(&b->cols[CS_USER_KEY], d->next_key) &&
                  cs_col_push_str(&b->cols[CS_USER_ID], id, len) &&
                  cs_col_push_str(&b->cols[CS_USER_TYPE], user_type, strlen(user_type)) &&
                  cs_col_push_null(&b->cols[CS_USER_TEAM]) &&
                  cs_col_push_i64(&b->cols[CS_USER_VALID_FROM], n->load_time) &&
                  cs_col_push_null(&b->cols[CS_USER_VALID_TO]) &&
                  cs_col_push_bool(&b->cols[CS_USER_IS_CURRENT], true);
        if (!ok) return oom(n);
        rc = cs_dimc_added(d, id, len, &n->e);
        if (rc != CS_OK) return rc;
        n->stats.users_added++;
    }
    *key = at.rows->cols[CS_USER_KEY].i64[at.row];
    return CS_OK;
}
