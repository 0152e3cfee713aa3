/* Compaction (see compact.h and docs/storage-format.md §12). */
#include "storage/compact.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"
#include "storage/base/pgtext.h"
#include "storage/base/schema.h"
#include "storage/store_int.h"

struct plan {
    const struct cs_manifest *m;
    uint64_t *live;  /* live block bytes of each data file of m */
    uint64_t *dying; /* of those, the bytes of groups this compaction merges */
    bool *hot;       /* the file's remaining live blocks are to be copied out */
    bool *merged;    /* by index in m->parts: the group is read by a merge */
    uint64_t bytes, dead;
};

static void plan_free(struct plan *p)
{
    free(p->live);
    free(p->dying);
    free(p->hot);
    free(p->merged);
}

/* file_dead() - bytes of file f that no live block uses (its 32-byte header aside). */
static uint64_t file_dead(const struct plan *p, uint32_t f)
{
    const uint64_t size = p->m->files[f].size;
    const uint64_t used = CS_DATA_HEADER_SIZE + p->live[f];
    return size > used ? size - used : 0;
}

static int plan_init(struct plan *p, struct cs_error *err)
{
    const struct cs_manifest *m = p->m;
    p->live = calloc(m->nfiles + 1u, sizeof(*p->live));
    p->dying = calloc(m->nfiles + 1u, sizeof(*p->dying));
    p->hot = calloc(m->nfiles + 1u, sizeof(*p->hot));
    p->merged = calloc(m->nparts + 1u, sizeof(*p->merged));
    if (p->live == NULL || p->dying == NULL || p->hot == NULL || p->merged == NULL)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < m->nparts; i++)
        p->live[m->parts[i].file] += m->parts[i].len;
    for (uint32_t f = 0; f < m->nfiles; f++) {
        p->bytes += m->files[f].size;
        p->dead += file_dead(p, f);
    }
    return CS_OK;
}

/* days_of() - days since 1970-01-01 of a YYYYMMDD time_key. */
static int64_t days_of(int32_t tk)
{
    return cs_days_from_civil(tk / 10000, (unsigned)(tk / 100 % 100), (unsigned)(tk % 100));
}

/* young() - young[f]: file f holds a live, unmerged row group of a fact (or aggregate) day
 * within settle_days of its table's newest day: late rows will still come to that day, and
 * the merge that follows would leave the group dead wherever it was copied. */
static void young(const struct plan *p, const struct cs_compact_policy *pol, bool *young)
{
    const struct cs_manifest *m = p->m;
    for (int id = 1; id <= CS_TABLE_MAX; id++) {
        const struct cs_table_def *t = cs_schema_table(id);
        const uint32_t a = m->first[id], b = m->first[id + 1];
        if (t == NULL || !t->is_fact || a == b) continue;
        const int64_t newest = days_of(m->parts[b - 1].time_key);
        for (uint32_t k = a; k < b; k++) {
            if (!p->merged[k] &&
                newest - days_of(m->parts[k].time_key) <= (int64_t)pol->settle_days)
                young[m->parts[k].file] = true;
        }
    }
}

/* plan_small() - when more than the policy's number of small files hold live blocks (not all
 * of them merged away), all of them are hot; with a settle rule, only the files without young
 * blocks (young()) count and are taken. */
static void plan_small(struct plan *p, const struct cs_compact_policy *pol)
{
    const struct cs_manifest *m = p->m;
    if (pol->max_small_files == 0) return;
    bool *skip = calloc(m->nfiles + 1u, sizeof(*skip));
    if (skip == NULL) return; /* best effort: no gathering this time */
    if (pol->settle_days > 0) young(p, pol, skip);
    uint32_t n = 0;
    for (uint32_t f = 0; f < m->nfiles; f++) {
        skip[f] = skip[f] || m->files[f].size >= pol->small_file_bytes || p->live[f] <= p->dying[f];
        n += !skip[f];
    }
    for (uint32_t f = 0; f < m->nfiles && n > pol->max_small_files; f++) {
        if (!skip[f]) p->hot[f] = true;
    }
    free(skip);
}

/* plan_hot() - after the merges: the small files (plan_small); and when the store's dead bytes
 * (counting the merged groups) pass the policy's share, the files whose own dead share passes
 * the file threshold. */
static void plan_hot(struct plan *p, const struct cs_compact_policy *pol)
{
    plan_small(p, pol);
    const struct cs_manifest *m = p->m;
    uint64_t dead = 0;
    for (uint32_t f = 0; f < m->nfiles; f++)
        dead += file_dead(p, f) + p->dying[f];
    if (dead == 0 || (double)dead <= pol->store_dead_share * (double)p->bytes) return;
    for (uint32_t f = 0; f < m->nfiles; f++) {
        const uint64_t d = file_dead(p, f) + p->dying[f];
        if (d > 0 && (double)d > pol->file_dead_share * (double)m->files[f].size) p->hot[f] = true;
    }
}

/* mark() - row groups [a, b) of table are merged. */
static void mark(struct plan *p, int table, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++) {
        const size_t k = p->m->first[table] + i;
        p->merged[k] = true;
        p->dying[p->m->parts[k].file] += p->m->parts[k].len;
    }
}

/* merge_fact() - the row groups [a, b) (snapshot indexes) of one fact partition as one. */
static int merge_fact(struct cs_txn *txn,
                      struct plan *p,
                      const struct cs_table_def *t,
                      size_t a,
                      size_t b,
                      struct cs_compact_stats *out,
                      struct cs_error *err)
{
    struct cs_snap *snap = cs_txn_snap(txn);
    const struct cs_part_info first = cs_snap_part(snap, t->id, a);
    struct cs_batch rows;
    cs_batch_init(&rows, t);
    int rc = cs_snap_read_groups(snap, t->id, a, b, NULL, 0, &rows, err);
    if (rc == CS_OK) rc = cs_txn_put_part(txn, t->id, first.time_key, &rows, err);
    for (size_t i = a; i < b; i++)
        cs_snap_release_part(snap, t->id, i); /* decoded: its pages are not needed */
    cs_batch_free(&rows);
    if (rc != CS_OK) return rc;
    mark(p, t->id, a, b);
    out->partitions_merged++;
    out->groups_merged += (uint32_t)(b - a);
    return CS_OK;
}

/* merge_chunks() - dimension chunks [a, b) as one chunk (the first's seq; the others removed). */
static int merge_chunks(struct cs_txn *txn,
                        struct plan *p,
                        const struct cs_table_def *t,
                        size_t a,
                        size_t b,
                        struct cs_compact_stats *out,
                        struct cs_error *err)
{
    struct cs_snap *snap = cs_txn_snap(txn);
    struct cs_batch rows, none;
    cs_batch_init(&rows, t);
    cs_batch_init(&none, t);
    int rc = cs_snap_read_groups(snap, t->id, a, b, NULL, 0, &rows, err);
    if (rc == CS_OK)
        rc = cs_txn_put_group(txn, t->id, 0, cs_snap_part(snap, t->id, a).seq, &rows, err);
    for (size_t i = a + 1; rc == CS_OK && i < b; i++)
        rc = cs_txn_put_group(txn, t->id, 0, cs_snap_part(snap, t->id, i).seq, &none, err);
    for (size_t i = a; i < b; i++)
        cs_snap_release_part(snap, t->id, i);
    cs_batch_free(&rows);
    cs_batch_free(&none);
    if (rc != CS_OK) return rc;
    mark(p, t->id, a, b);
    out->groups_merged += (uint32_t)(b - a);
    return CS_OK;
}

/* merge_dim() - runs of adjacent chunks that fit one chunk, merged, when the dimension has
 * more chunks than its rows need by more than max_groups - 1. */
static int merge_dim(struct cs_txn *txn,
                     struct plan *p,
                     const struct cs_table_def *t,
                     const struct cs_compact_policy *pol,
                     struct cs_compact_stats *out,
                     struct cs_error *err)
{
    struct cs_snap *snap = cs_txn_snap(txn);
    const size_t n = cs_snap_part_count(snap, t->id);
    uint64_t rows = 0;
    for (size_t i = 0; i < n; i++)
        rows += cs_snap_part(snap, t->id, i).rows;
    const uint64_t needed = (rows + pol->dim_chunk_rows - 1) / pol->dim_chunk_rows;
    if (n <= needed + (pol->max_groups > 0 ? pol->max_groups - 1 : 0)) return CS_OK;
    int rc = CS_OK;
    for (size_t a = 0; a < n && rc == CS_OK;) {
        size_t b = a + 1;
        uint64_t run = cs_snap_part(snap, t->id, a).rows;
        while (b < n && run + cs_snap_part(snap, t->id, b).rows <= pol->dim_chunk_rows)
            run += cs_snap_part(snap, t->id, b++).rows;
        if (b - a > 1) rc = merge_chunks(txn, p, t, a, b, out, err);
        a = b;
    }
    return rc;
}

/* merge_days() - the days of more than max_groups row groups, and the settled days (more than
 * settle_days before the table's newest) of more than one, each merged into one. */
static int merge_days(struct cs_txn *txn,
                      struct plan *p,
                      const struct cs_table_def *t,
                      const struct cs_compact_policy *pol,
                      struct cs_compact_stats *out,
                      struct cs_error *err)
{
    struct cs_snap *snap = cs_txn_snap(txn);
    const size_t n = cs_snap_part_count(snap, t->id);
    const int64_t newest = n > 0 ? days_of(cs_snap_part(snap, t->id, n - 1).time_key) : 0;
    int rc = CS_OK;
    for (size_t a = 0; a < n && rc == CS_OK;) {
        const size_t b = cs_snap_part_end(snap, t->id, a);
        uint64_t rows = 0;
        for (size_t i = a; i < b; i++)
            rows += cs_snap_part(snap, t->id, i).rows;
        const bool settled =
            pol->settle_days > 0 && b - a > 1 &&
            newest - days_of(cs_snap_part(snap, t->id, a).time_key) > (int64_t)pol->settle_days;
        if ((b - a > pol->max_groups || settled) && rows <= CS_MAX_PARTITION_ROWS)
            rc = merge_fact(txn, p, t, a, b, out, err);
        a = b;
    }
    return rc;
}

/* copy_hot() - the groups of table that live in hot files and are not merged, copied byte for
 * byte into the new file. */
static int copy_hot(struct cs_txn *txn,
                    const struct plan *p,
                    int table,
                    struct cs_compact_stats *out,
                    struct cs_error *err)
{
    const size_t n = cs_snap_part_count(cs_txn_snap(txn), table);
    int rc = CS_OK;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        const size_t k = p->m->first[table] + i;
        if (p->merged[k] || !p->hot[p->m->parts[k].file]) continue;
        rc = cs_txn_copy_group(txn, table, i, err);
        out->groups_copied += rc == CS_OK;
    }
    return rc;
}

int cs_store_compact(struct cs_store *st,
                     const struct cs_compact_policy *policy,
                     struct cs_compact_stats *out,
                     struct cs_error *err)
{
    memset(out, 0, sizeof(*out));
    struct cs_txn *txn = NULL;
    int rc = cs_txn_begin(st, &txn, err);
    if (rc != CS_OK) return rc;
    struct cs_snap *snap = cs_txn_snap(txn);
    struct plan p = {.m = snap->m};
    rc = plan_init(&p, err);
    out->bytes_before = p.bytes;
    out->dead_bytes_before = p.dead;
    out->files_before = p.m->nfiles;
    for (int id = 1; rc == CS_OK && id <= CS_TABLE_MAX; id++) { /* merges first ... */
        const struct cs_table_def *t = cs_schema_table(id);
        if (t == NULL || cs_snap_part_count(snap, id) == 0) continue;
        rc = t->is_fact ? merge_days(txn, &p, t, policy, out, err)
                        : merge_dim(txn, &p, t, policy, out, err);
    }
    if (rc == CS_OK) plan_hot(&p, policy); /* ... as they leave more of their files dead */
    for (int id = 1; rc == CS_OK && id <= CS_TABLE_MAX; id++) {
        if (cs_schema_table(id) != NULL) rc = copy_hot(txn, &p, id, out, err);
    }
    const bool work = out->groups_copied > 0 || out->groups_merged > 0;
    if (rc == CS_OK && work) {
        rc = cs_txn_commit(txn, err);
        txn = NULL;
    }
    cs_txn_abort(txn);
    plan_free(&p);
    if (rc != CS_OK || !work) return rc;
    out->committed = true;
    struct cs_snap *after = NULL;
    rc = cs_snap_open(st, &after, err);
    if (rc == CS_OK) {
        out->version = after->m->version;
        out->files_after = after->m->nfiles;
        for (uint32_t f = 0; f < after->m->nfiles; f++)
            out->bytes_after += after->m->files[f].size;
        cs_snap_close(after);
    }
    return rc;
}
