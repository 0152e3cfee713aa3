/*
 * cs_store_verify(): read every file the current manifest names and check it the way a
 * reader would, without stopping at the first problem: the manifest (checksum, counts,
 * bounds), each data file (existence, exact size, header), each partition block header and
 * each column segment (cs_seg_check: header, sizes, checksum; row count against the
 * partition). Files the manifest does not name are not reported: they are leftovers of a
 * killed writer or files an older snapshot still pins, and the next writer deletes them
 * (docs/storage-format.md §7).
 */
#include "storage/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/schema.h"
#include "storage/key_filter.h"
#include "storage/segment.h"

#include <xxhash.h>

struct vctx {
    cs_verify_cb cb;
    void *ctx;
    const char *dir;
    size_t problems;
};

/* report() - one problem; the message loses its leading "<file>: " (the callback names it). */
static void report(struct vctx *v, const char *rel, const char *msg)
{
    char full[CS_PATH_MAX];
    const char *names[2] = {rel, full};
    if (cs_sio_path(full, NULL, v->dir, "%s", rel) != CS_OK) full[0] = '\0';
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(names[i]);
        if (n > 0 && strncmp(msg, names[i], n) == 0 && strncmp(msg + n, ": ", 2) == 0) {
            msg += n + 2;
            break;
        }
    }
    v->problems++;
    if (v->cb != NULL) v->cb(v->ctx, rel, msg);
}

static void
verify_part(struct vctx *v, struct cs_snap *snap, const struct cs_mpart *p, const char *rel)
{
    struct cs_error e = {0};
    char path[CS_PATH_MAX];
    const char *file;
    const uint8_t *blk = NULL, *cols = NULL;
    if (cs_snap_block(snap, p, &blk, &file, path, &e) != CS_OK ||
        cs_part_header_check(blk, (size_t)p->len, p, rel, &cols, &e) != CS_OK) {
        report(v, rel, e.message);
        return;
    }
    const struct cs_table_def *t = cs_schema_table(p->table);
    if (blk[6] & CS_BLK_KEY_FILTER) {
        const uint64_t off = cs_part_filter_off(cols, p->ncols);
        struct cs_key_filter f;
        if (!cs_kf_parse(blk + off, (size_t)(p->len - off), &f)) {
            char msg[256];
            (void)snprintf(msg, sizeof(msg),
                           "%s/%" PRId32 " key filter at offset %" PRIu64 ": damaged", t->name,
                           p->time_key, p->off + off);
            report(v, rel, msg);
        }
    }
    for (int c = 0; c < p->ncols; c++) {
        uint64_t off, len;
        struct cs_seg_stats dir_stats, seg_stats;
        cs_part_col(cols, c, &off, &len, &dir_stats);
        int rc = cs_seg_check(blk + off, (size_t)len, rel, &e);
        if (rc == CS_OK) rc = cs_seg_read_stats(blk + off, (size_t)len, &seg_stats, rel, &e);
        if (rc == CS_OK && seg_stats.rows != p->rows) {
            (void)cs_error_set(&e, CS_ECORRUPT, "segment has %" PRIu32 " rows", seg_stats.rows);
        } else if (rc == CS_OK) {
            continue;
        }
        char msg[CS_ERROR_MESSAGE_SIZE + 128];
        (void)snprintf(msg, sizeof(msg), "%s/%" PRId32 " column %s at offset %" PRIu64 ": %s",
                       t->name, p->time_key, t->cols[c].name, p->off + off, e.message);
        report(v, rel, msg);
    }
}

/* walk_block() - check the block at base[pos..size) on its own (magic, header checksum, every
 * segment back to back); *next is where the following block starts. NULL when all is well,
 * else what is wrong (e for a segment's own message). */
static const char *walk_block(const uint8_t *base,
                              uint64_t pos,
                              uint64_t size,
                              const char *rel,
                              uint64_t *next,
                              struct cs_error *e)
{
    if (size - pos < CS_PART_FIXED_SIZE) return "truncated block header";
    const uint8_t *blk = base + pos;
    const unsigned ncols = blk[5];
    const uint64_t hdr = CS_PART_FIXED_SIZE + (uint64_t)ncols * CS_PART_COL_SIZE + 8;
    if (cs_get_u32(blk) != CS_PART_MAGIC || ncols == 0 || ncols > CS_MAX_COLS ||
        cs_get_u32(blk + 16) != hdr || hdr > size - pos)
        return "bad block header";
    if (XXH64(blk, (size_t)hdr - 8, 0) != cs_get_u64(blk + hdr - 8))
        return "block header checksum mismatch";
    uint64_t at = hdr; /* segments follow the header back to back */
    for (unsigned c = 0; c < ncols; c++) {
        uint64_t off, len;
        struct cs_seg_stats st;
        cs_part_col(blk + CS_PART_FIXED_SIZE, (int)c, &off, &len, &st);
        if (off != at || len > size - pos - off) return "segment out of bounds";
        if (cs_seg_check(blk + off, (size_t)len, rel, e) != CS_OK) return e->message;
        at = off + len;
    }
    if (blk[6] & CS_BLK_KEY_FILTER) { /* §4.1: its size is in its first field */
        if (size - pos - at < CS_KF_FIXED) return "key filter out of bounds";
        const uint64_t flen = CS_KF_FIXED + (uint64_t)cs_get_u32(blk + at) * CS_KF_BLOCK;
        struct cs_key_filter f;
        if (flen > size - pos - at || !cs_kf_parse(blk + at, (size_t)flen, &f))
            return "key filter damaged";
        at += flen;
    }
    *next = pos + at;
    return NULL;
}

/* verify_blocks() - every block of data file f, live or superseded, so that every byte of the
 * file is checked (docs/storage-format.md: a data file is its header and blocks back to back,
 * each under a checksum). Superseded blocks are dead space no reader uses, but a damaged byte
 * there still means a damaged disk. */
static void verify_blocks(struct vctx *v, struct cs_snap *snap, uint32_t f)
{
    const uint8_t *base;
    struct cs_error e = {0};
    char rel[64];
    cs_sio_data_name(rel, snap->m->files[f].id);
    if (cs_snap_map_file(snap, f, &base, &e) != CS_OK) return; /* reported by verify_files */
    const uint64_t size = snap->m->files[f].size;
    for (uint64_t pos = CS_DATA_HEADER_SIZE; pos < size;) {
        uint64_t next = pos;
        const char *why = walk_block(base, pos, size, rel, &next, &e);
        if (why != NULL) {
            char msg[CS_ERROR_MESSAGE_SIZE + 64];
            (void)snprintf(msg, sizeof(msg), "block at offset %" PRIu64 ": %s", pos, why);
            report(v, rel, msg);
            return; /* the next block cannot be found */
        }
        pos = next;
    }
}

static void verify_files(struct vctx *v, struct cs_snap *snap, bool *file_ok)
{
    for (uint32_t f = 0; f < snap->m->nfiles; f++) {
        struct cs_error e = {0};
        const uint8_t *base;
        char rel[64];
        cs_sio_data_name(rel, snap->m->files[f].id);
        file_ok[f] = cs_snap_map_file(snap, f, &base, &e) == CS_OK;
        if (!file_ok[f]) report(v, rel, e.message);
    }
}

int cs_store_verify(struct cs_store *st, cs_verify_cb cb, void *ctx, struct cs_error *err)
{
    struct vctx v = {cb, ctx, st->dir, 0};
    struct cs_snap *snap;
    struct cs_error e = {0};
    int rc = cs_snap_open_fresh(st, &snap, &e);
    if (rc == CS_ECORRUPT) {
        uint64_t ver;
        char rel[64] = CS_CURRENT_NAME;
        if (cs_read_current(st->dfd, st->dir, &ver, NULL, NULL) == CS_OK) {
            (void)snprintf(rel, sizeof(rel), "MANIFEST-%012" PRIu64, ver);
        }
        report(&v, rel, e.message);
        return cs_error_set(err, CS_ECORRUPT, "%s", e.message);
    }
    if (rc != CS_OK) return cs_error_set(err, rc, "%s", e.message);
    bool *file_ok = calloc(snap->m->nfiles + 1u, sizeof(*file_ok));
    if (file_ok == NULL) {
        cs_snap_close(snap);
        return cs_error_set(err, CS_ENOMEM, "verify: out of memory");
    }
    verify_files(&v, snap, file_ok);
    for (uint32_t f = 0; f < snap->m->nfiles; f++) {
        if (file_ok[f]) verify_blocks(&v, snap, f);
    }
    for (uint32_t i = 0; i < snap->m->nparts; i++) {
        const struct cs_mpart *p = &snap->m->parts[i];
        char rel[64];
        cs_sio_data_name(rel, snap->m->files[p->file].id);
        if (file_ok[p->file]) verify_part(&v, snap, p, rel);
    }
    free(file_ok);
    cs_snap_close(snap);
    if (v.problems > 0) {
        return cs_error_set(err, CS_ECORRUPT, "%s: %zu damaged file(s) or segment(s)", st->dir,
                            v.problems);
    }
    return CS_OK;
}
