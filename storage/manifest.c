/*
 * Byte layouts of the store's own structures: the manifest (docs/storage-format.md §5), the
 * CURRENT pointer (§2), the data file header (§3) and the partition block header (§4).
 * Encoding asserts what we build; decoding checks every count, offset and size read from
 * disk before use and reports CS_ECORRUPT naming the file.
 */
#include "storage/store_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "storage/base/limits.h"
#include "storage/base/schema.h"
#include "storage/key_filter.h"

static size_t man_size(uint32_t nfiles, uint32_t nparts, uint32_t format)
{
    return CS_MAN_HEADER_SIZE + (size_t)nfiles * CS_MAN_FILE_SIZE +
           (size_t)nparts * (format == 1 ? CS_MAN_PART_SIZE_1 : CS_MAN_PART_SIZE);
}

static void encode_part(uint8_t *q, const struct cs_mpart *p)
{
    q[0] = p->table;
    q[1] = p->ncols;
    cs_put_u16(q + 2, p->seq);
    cs_put_u32(q + 4, (uint32_t)p->time_key);
    cs_put_u32(q + 8, p->rows);
    cs_put_u32(q + 12, p->file);
    cs_put_u64(q + 16, p->off);
    cs_put_u64(q + 24, p->len);
    cs_put_u64(q + 32, p->hsum);
    cs_put_u64(q + 40, (uint64_t)p->key_min);
    cs_put_u64(q + 48, (uint64_t)p->key_max);
    cs_put_u64(q + 56, (uint64_t)p->id_min);
    cs_put_u64(q + 64, (uint64_t)p->id_max);
}

int cs_man_encode(const struct cs_manifest *m, uint8_t **out, size_t *len, struct cs_error *err)
{
    size_t n = man_size(m->nfiles, m->nparts, CS_MAN_FORMAT);
    uint8_t *buf = calloc(1, n);
    if (buf == NULL) return cs_error_set(err, CS_ENOMEM, "manifest: out of memory");
    memcpy(buf, CS_MAN_MAGIC, 8); // NOLINT(bugprone-not-null-terminated-result): counted bytes
    cs_put_u32(buf + 16, CS_MAN_FORMAT);
    cs_put_u32(buf + 20, CS_MAN_HEADER_SIZE);
    cs_put_u64(buf + 24, m->version);
    cs_put_u64(buf + 32, (uint64_t)n);
    cs_put_u32(buf + 40, m->nfiles);
    cs_put_u32(buf + 44, m->nparts);
    uint8_t *q = buf + CS_MAN_HEADER_SIZE;
    for (uint32_t i = 0; i < m->nfiles; i++, q += CS_MAN_FILE_SIZE) {
        cs_put_u64(q, m->files[i].id);
        cs_put_u64(q + 8, m->files[i].size);
    }
    for (uint32_t i = 0; i < m->nparts; i++, q += CS_MAN_PART_SIZE)
        encode_part(q, &m->parts[i]);
    cs_put_u64(buf + 8, XXH64(buf + 16, n - 16, 0));
    *out = buf;
    *len = n;
    return CS_OK;
}

static int check_header(
    const uint8_t *buf, size_t len, const char *file, struct cs_manifest *m, struct cs_error *err)
{
    if (len < CS_MAN_HEADER_SIZE) {
        return cs_error_set(err, CS_ECORRUPT, "%s: manifest is truncated (%zu bytes)", file, len);
    }
    if (memcmp(buf, CS_MAN_MAGIC, 8) != 0) {
        return cs_error_set(err, CS_ECORRUPT, "%s: not a colstore manifest (bad magic)", file);
    }
    if (cs_get_u64(buf + 32) != len) {
        return cs_error_set(err, CS_ECORRUPT, "%s: manifest is %zu bytes, header says %" PRIu64,
                            file, len, cs_get_u64(buf + 32));
    }
    if (XXH64(buf + 16, len - 16, 0) != cs_get_u64(buf + 8)) {
        return cs_error_set(err, CS_ECORRUPT, "%s: manifest checksum mismatch", file);
    }
    uint32_t format = cs_get_u32(buf + 16);
    if (format < CS_MAN_FORMAT_MIN || format > CS_MAN_FORMAT ||
        cs_get_u32(buf + 20) != CS_MAN_HEADER_SIZE) {
        return cs_error_set(err, CS_ECORRUPT, "%s: unsupported manifest format version %" PRIu32,
                            file, format);
    }
    for (size_t i = 48; i < CS_MAN_HEADER_SIZE; i++) {
        if (buf[i] != 0)
            return cs_error_set(err, CS_ECORRUPT, "%s: reserved manifest header bytes are not zero",
                                file);
    }
    m->version = cs_get_u64(buf + 24);
    m->nfiles = cs_get_u32(buf + 40);
    m->nparts = cs_get_u32(buf + 44);
    if (man_size(m->nfiles, m->nparts, format) != len) {
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: manifest counts (%" PRIu32 " files, %" PRIu32
                            " partitions) do not match its size",
                            file, m->nfiles, m->nparts);
    }
    return CS_OK;
}

static int
check_files(const uint8_t *q, const char *file, struct cs_manifest *m, struct cs_error *err)
{
    for (uint32_t i = 0; i < m->nfiles; i++, q += CS_MAN_FILE_SIZE) {
        struct cs_mfile *f = &m->files[i];
        f->id = cs_get_u64(q);
        f->size = cs_get_u64(q + 8);
        bool ordered = i == 0 || f->id > m->files[i - 1].id;
        if (!ordered || f->id > m->version || f->size < CS_DATA_HEADER_SIZE) {
            return cs_error_set(err, CS_ECORRUPT, "%s: data file entry %" PRIu32 " is invalid",
                                file, i);
        }
    }
    return CS_OK;
}

static bool
part_valid(const struct cs_mpart *p, const struct cs_mpart *prev, const struct cs_manifest *m)
{
    const struct cs_table_def *t = cs_schema_table(p->table);
    if (t == NULL || p->ncols != t->ncols) return false;
    if (!t->is_fact && p->time_key != 0) return false;
    if (p->rows == 0 || p->rows > CS_MAX_PARTITION_ROWS || p->file >= m->nfiles) return false;
    /* strictly ascending by (table, time_key, seq); format 1 has seq 0 only */
    if (prev != NULL && cs_mpart_cmp(prev, p) >= 0) return false;
    uint64_t fsize = m->files[p->file].size;
    uint64_t hdr = CS_PART_FIXED_SIZE + (uint64_t)p->ncols * CS_PART_COL_SIZE + 8;
    return p->off >= CS_DATA_HEADER_SIZE && p->len >= hdr && p->off <= fsize &&
           p->len <= fsize - p->off;
}

/* check_files_used() - the file table lists exactly the files the partitions use. */
static int check_files_used(const char *file, const struct cs_manifest *m, struct cs_error *err)
{
    uint8_t *used = calloc(m->nfiles + 1u, 1);
    if (used == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    for (uint32_t i = 0; i < m->nparts; i++)
        used[m->parts[i].file] = 1;
    uint32_t f = 0;
    while (f < m->nfiles && used[f])
        f++;
    free(used);
    if (f < m->nfiles)
        return cs_error_set(err, CS_ECORRUPT, "%s: data file entry %" PRIu32 " is not used", file,
                            f);
    return CS_OK;
}

int cs_man_decode(
    const uint8_t *buf, size_t len, const char *file, struct cs_manifest *m, struct cs_error *err)
{
    memset(m, 0, sizeof(*m));
    int rc = check_header(buf, len, file, m, err);
    if (rc != CS_OK) return rc;
    const uint32_t format = cs_get_u32(buf + 16);
    m->format = format;
    const size_t entry = format == 1 ? CS_MAN_PART_SIZE_1 : CS_MAN_PART_SIZE;
    m->files = calloc(m->nfiles + 1u, sizeof(*m->files));
    m->parts = calloc(m->nparts + 1u, sizeof(*m->parts));
    if (m->files == NULL || m->parts == NULL) {
        cs_man_free(m);
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    }
    rc = check_files(buf + CS_MAN_HEADER_SIZE, file, m, err);
    const uint8_t *q = buf + CS_MAN_HEADER_SIZE + (size_t)m->nfiles * CS_MAN_FILE_SIZE;
    for (uint32_t i = 0; rc == CS_OK && i < m->nparts; i++, q += entry) {
        struct cs_mpart *p = &m->parts[i];
        p->table = q[0];
        p->ncols = q[1];
        p->seq = cs_get_u16(q + 2);
        p->time_key = (int32_t)cs_get_u32(q + 4);
        p->rows = cs_get_u32(q + 8);
        p->file = cs_get_u32(q + 12);
        p->off = cs_get_u64(q + 16);
        p->len = cs_get_u64(q + 24);
        p->hsum = cs_get_u64(q + 32);
        p->has_ranges = format >= 2;
        p->key_min = p->id_min = INT64_MAX;
        p->key_max = p->id_max = INT64_MIN;
        if (p->has_ranges) {
            p->key_min = (int64_t)cs_get_u64(q + 40);
            p->key_max = (int64_t)cs_get_u64(q + 48);
            p->id_min = (int64_t)cs_get_u64(q + 56);
            p->id_max = (int64_t)cs_get_u64(q + 64);
        }
        if ((format == 1 && p->seq != 0) || !part_valid(p, i > 0 ? p - 1 : NULL, m)) {
            rc = cs_error_set(err, CS_ECORRUPT, "%s: partition entry %" PRIu32 " is invalid", file,
                              i);
        }
    }
    if (rc == CS_OK) rc = check_files_used(file, m, err);
    if (rc != CS_OK) {
        cs_man_free(m);
        return rc;
    }
    cs_man_index(m);
    return CS_OK;
}

void cs_man_index(struct cs_manifest *m)
{
    uint32_t i = 0;
    for (int t = 0; t <= CS_TABLE_MAX + 1; t++) {
        while (i < m->nparts && m->parts[i].table < t)
            i++;
        m->first[t] = i;
    }
}

void cs_man_free(struct cs_manifest *m)
{
    free(m->files);
    free(m->parts);
    m->files = NULL;
    m->parts = NULL;
    m->nfiles = m->nparts = 0;
}

int cs_man_load_fd(int fd, const char *path, struct cs_manifest *m, struct cs_error *err)
{
    struct stat sb;
    int rc = cs_sio_fstat(fd, path, &sb, err);
    if (rc != CS_OK) return rc;
    if (sb.st_size < 0 || (uint64_t)sb.st_size > CS_MAN_MAX_BYTES) {
        return cs_error_set(err, CS_ECORRUPT, "%s: manifest size %lld is impossible", path,
                            (long long)sb.st_size);
    }
    uint8_t *buf;
    rc = cs_sio_read_all(fd, (size_t)sb.st_size, &buf, path, err);
    if (rc != CS_OK) return rc;
    rc = cs_man_decode(buf, (size_t)sb.st_size, path, m, err);
    free(buf);
    return rc;
}

int cs_read_current(
    int dfd, const char *dir, uint64_t *version, bool *missing, struct cs_error *err)
{
    char path[CS_PATH_MAX];
    int rc = cs_sio_path(path, err, dir, CS_CURRENT_NAME);
    if (rc != CS_OK) return rc;
    int fd;
    bool absent = false;
    rc = cs_sio_openat(dfd, dir, CS_CURRENT_NAME, CS_SIO_READ_FILE, &fd, &absent, err);
    if (missing != NULL) *missing = absent;
    if (rc != CS_OK) return rc;
    char text[64];
    size_t n = 0;
    rc = cs_sio_pread_some(fd, text, sizeof(text) - 1, 0, &n, path, err);
    (void)close(fd);
    if (rc != CS_OK) return rc;
    text[n] = '\0';
    /* Exactly "MANIFEST-" + 12 digits + "\n" (docs/storage-format.md §2). */
    unsigned long long v = 0;
    bool ok = n == 22 && memcmp(text, "MANIFEST-", 9) == 0 && text[21] == '\n';
    for (int i = 9; ok && i < 21; i++) {
        ok = text[i] >= '0' && text[i] <= '9';
        v = v * 10 + (unsigned long long)(text[i] - '0');
    }
    if (!ok) return cs_error_set(err, CS_ECORRUPT, "%s: malformed manifest pointer", path);
    *version = v;
    return CS_OK;
}

void cs_data_header_encode(uint8_t out[CS_DATA_HEADER_SIZE], uint64_t id)
{
    memcpy(out, CS_DATA_MAGIC, 8); // NOLINT(bugprone-not-null-terminated-result): counted bytes
    cs_put_u32(out + 8, CS_DATA_FORMAT);
    cs_put_u32(out + 12, CS_DATA_HEADER_SIZE);
    cs_put_u64(out + 16, id);
    cs_put_u64(out + 24, XXH64(out, 24, 0));
}

int cs_data_header_check(
    const uint8_t *base, size_t size, uint64_t id, const char *file, struct cs_error *err)
{
    if (size < CS_DATA_HEADER_SIZE || memcmp(base, CS_DATA_MAGIC, 8) != 0) {
        return cs_error_set(err, CS_ECORRUPT, "%s: not a colstore data file (bad magic)", file);
    }
    if (XXH64(base, 24, 0) != cs_get_u64(base + 24)) {
        return cs_error_set(err, CS_ECORRUPT, "%s: data file header checksum mismatch", file);
    }
    const uint32_t format = cs_get_u32(base + 8);
    if (format < CS_DATA_FORMAT_MIN || format > CS_DATA_FORMAT ||
        cs_get_u32(base + 12) != CS_DATA_HEADER_SIZE) {
        return cs_error_set(err, CS_ECORRUPT, "%s: unsupported data file format version %" PRIu32,
                            file, cs_get_u32(base + 8));
    }
    if (cs_get_u64(base + 16) != id) {
        return cs_error_set(err, CS_ECORRUPT, "%s: data file claims id %" PRIu64, file,
                            cs_get_u64(base + 16));
    }
    return CS_OK;
}

static bool cols_valid(const uint8_t *cols, const struct cs_mpart *p, uint64_t hdr, size_t len)
{
    for (int c = 0; c < p->ncols; c++) {
        const uint8_t *q = cols + (size_t)c * CS_PART_COL_SIZE;
        uint64_t off = cs_get_u64(q), n = cs_get_u64(q + 8);
        if (off < hdr || off > len || n == 0 || n > len - off) return false;
        if (cs_get_u32(q + 16) != p->rows || cs_get_u32(q + 20) > p->rows) return false;
    }
    return true;
}

/* Block flags (header byte 6): a key filter only in a dimension with a natural key. */
static bool flags_valid(uint8_t flags, const struct cs_mpart *p)
{
    if (flags == 0) return true;
    const struct cs_table_def *t = cs_schema_table(p->table);
    return flags == CS_BLK_KEY_FILTER && t != NULL && !t->is_fact && t->name_col >= 0;
}

int cs_part_header_check(const uint8_t *blk,
                         size_t len,
                         const struct cs_mpart *p,
                         const char *file,
                         const uint8_t **cols,
                         struct cs_error *err)
{
    uint64_t hdr = CS_PART_FIXED_SIZE + (uint64_t)p->ncols * CS_PART_COL_SIZE + 8;
    const char *why = NULL;
    if (len < hdr || cs_get_u32(blk) != CS_PART_MAGIC) {
        why = "bad magic";
    } else if (blk[4] != p->table || blk[5] != p->ncols || !flags_valid(blk[6], p) || blk[7] != 0 ||
               (int32_t)cs_get_u32(blk + 8) != p->time_key || cs_get_u32(blk + 12) != p->rows ||
               cs_get_u32(blk + 16) != hdr || cs_get_u32(blk + 20) != 0) {
        why = "header does not match the manifest";
    } else if (XXH64(blk, hdr - 8, 0) != cs_get_u64(blk + hdr - 8) ||
               cs_get_u64(blk + hdr - 8) != p->hsum) {
        why = "header checksum mismatch";
    } else if (!cols_valid(blk + CS_PART_FIXED_SIZE, p, hdr, len)) {
        why = "column directory out of bounds";
    } else if (blk[6] & CS_BLK_KEY_FILTER &&
               cs_part_filter_off(blk + CS_PART_FIXED_SIZE, p->ncols) > len - CS_KF_FIXED) {
        why = "key filter out of bounds";
    }
    if (why != NULL) {
        const struct cs_table_def *t = cs_schema_table(p->table);
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: partition %s/%" PRId32 " at offset %" PRIu64 ": %s", file,
                            t != NULL ? t->name : "?", p->time_key, p->off, why);
    }
    *cols = blk + CS_PART_FIXED_SIZE;
    return CS_OK;
}

uint64_t cs_part_filter_off(const uint8_t *cols, int ncols)
{
    uint64_t end = 0;
    for (int c = 0; c < ncols; c++) {
        const uint8_t *q = cols + (size_t)c * CS_PART_COL_SIZE;
        const uint64_t e = cs_get_u64(q) + cs_get_u64(q + 8);
        end = e > end ? e : end;
    }
    return end;
}

void cs_part_col(
    const uint8_t *cols, int col, uint64_t *off, uint64_t *len, struct cs_seg_stats *stats)
{
    const uint8_t *q = cols + (size_t)col * CS_PART_COL_SIZE;
    *off = cs_get_u64(q);
    *len = cs_get_u64(q + 8);
    stats->rows = cs_get_u32(q + 16);
    stats->null_count = cs_get_u32(q + 20);
    stats->min = (int64_t)cs_get_u64(q + 24);
    stats->max = (int64_t)cs_get_u64(q + 32);
}
