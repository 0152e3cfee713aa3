/*
 * The store: a directory of immutable data files and a manifest naming the live ones.
 * This is storage's whole interface to the layers above (engine/, query/, etl/).
 *
 * Model
 * - Every table is a list of partitions. A fact table (and the agg table) has one partition
 *   per time_key (a day); a dimension has one partition, with time_key 0.
 * - A partition is one or more row groups (seq 0, 1, ...), each holding one column segment per
 *   schema column (hidden ones included), all with the group's row count. The partition's rows
 *   are its groups' rows in seq order. A nightly load appends a day's late rows as a new group
 *   instead of rewriting the day; a dimension is kept as key-ordered chunks, each a group, so
 *   that a load rewrites only the chunks it changes; compaction merges groups again.
 * - Readers index row groups: "partition i" of the functions below is the i-th row group of
 *   the table in (time_key, seq) order; several may share a time_key.
 * - A snapshot (struct cs_snap) pins one manifest version: what it shows never changes, and
 *   the files it needs stay on disk until it is closed, whatever writers commit meanwhile.
 * - A transaction (struct cs_txn) starts from the newest version, replaces whole partitions
 *   (a partition that grows is rewritten in full), and commits atomically: readers see the
 *   old version or the new one, never a mix. One writer at a time (lock file, released by
 *   the kernel when a writer dies).
 *
 * Thread safety: a cs_store and its snapshots may be used from any number of threads at
 * once (reads only); a cs_txn belongs to one thread.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"

struct cs_store;
struct cs_snap;
struct cs_txn;

enum cs_open_flags {
    CS_OPEN_READ = 0,
    CS_OPEN_WRITE = 1u << 0,  /* allow transactions */
    CS_OPEN_CREATE = 1u << 1, /* create the directory and an empty store if missing */
    /* Read column views (cs_snap_view_col) with pread() into the views' own buffers instead of
     * mapping the data files: for a handle that runs one report and goes away (a CLI), which
     * would otherwise pay the kernel for mapping, and at exit unmapping, every page it reads. */
    CS_OPEN_PREAD = 1u << 2,
};

/* cs_store_open() - open the store in directory `dir`. Returns CS_OK and *out, or an error
 * (CS_EIO: missing or unreadable; CS_ECORRUPT: not a store or a damaged manifest). */
int cs_store_open(const char *dir, unsigned flags, struct cs_store **out, struct cs_error *err);
/* cs_store_close() - release the store; every snapshot must be closed first. NULL is a no-op. */
void cs_store_close(struct cs_store *st);
/* cs_store_dir() - the directory the store was opened on. */
const char *cs_store_dir(const struct cs_store *st);
/* cs_store_check_foreign() - CS_EINVAL ("<what> "<path>" is inside the store") when `path`
 * (NULL: not checked) lies in the store directory or below it, or when the file open as fd
 * (-1: not checked) is the store directory or one of its files (a hard link or symlink to
 * one included). For files the engine writes on a user's behalf (rejects, backups). */
int cs_store_check_foreign(
    struct cs_store *st, const char *path, int fd, const char *what, struct cs_error *err);

/* Row group description, valid while its snapshot is open. */
struct cs_part_info {
    int32_t time_key; /* YYYYMMDD, 0 for a dimension */
    uint32_t seq;     /* row group number within the partition (ascending, not dense) */
    uint32_t rows;
    uint64_t bytes;   /* its block in the data file (header and segments) */
    uint64_t file_id; /* the data file holding it: data/<file_id>.cseg */
};

/* Zone map of one column segment. min/max are meaningful for CS_K_I64 and CS_K_BOOL only, and
 * only when rows > null_count. */
struct cs_seg_stats {
    uint32_t rows;
    uint32_t null_count;
    int64_t min;
    int64_t max;
};

/* cs_snap_open() - pin the newest committed version. Release with cs_snap_close(). */
int cs_snap_open(struct cs_store *st, struct cs_snap **out, struct cs_error *err);
void cs_snap_close(struct cs_snap *snap);
/* cs_snap_open_version() - pin version `version`, which must still be on disk: the newest one,
 * or an older one that another snapshot (of any process) pins, so that cooperating processes
 * (a query's parallel workers) read the state their leader pinned. CS_EINVAL when the version
 * is gone. */
int cs_snap_open_version(struct cs_store *st,
                         uint64_t version,
                         struct cs_snap **out,
                         struct cs_error *err);
/* cs_snap_version() - the commit number of the snapshot (0 for a new, empty store). */
uint64_t cs_snap_version(const struct cs_snap *snap);

/* cs_snap_part_count() - number of row groups of `table`, ordered by (time_key, seq). */
size_t cs_snap_part_count(const struct cs_snap *snap, int table);
/* cs_snap_part() - partition i of table (i < cs_snap_part_count()). */
struct cs_part_info cs_snap_part(const struct cs_snap *snap, int table, size_t i);
/* cs_snap_part_range() - [*first, *end) = the row groups with lo <= time_key <= hi. */
void cs_snap_part_range(
    const struct cs_snap *snap, int table, int32_t lo, int32_t hi, size_t *first, size_t *end);
/* cs_snap_part_end() - the index after the last row group with the time_key of group i: groups
 * [i, end) are the rest of its partition. */
size_t cs_snap_part_end(const struct cs_snap *snap, int table, size_t i);
/* The zone maps of a row group's key column and operational-id column (source_id of the fact
 * tables) as the manifest keeps them: min > max when the column holds no value (no such
 * column, or NULL on every row). */
struct cs_part_ranges {
    int64_t key_min, key_max;
    int64_t id_min, id_max;
};
/* cs_snap_part_ranges() - those of row group i: from the manifest (format 2, no I/O), else
 * from its block header. */
int cs_snap_part_ranges(
    struct cs_snap *snap, int table, size_t i, struct cs_part_ranges *out, struct cs_error *err);
/* cs_snap_col_stats() - zone map of column col of partition i, from the manifest or segment
 * header; CS_ECORRUPT when the segment is damaged. */
int cs_snap_col_stats(struct cs_snap *snap,
                      int table,
                      size_t i,
                      int col,
                      struct cs_seg_stats *out,
                      struct cs_error *err);
/* cs_snap_read_col() - decode column col of partition i into out (reset first; its kind must
 * be the column's kind; capacity is reused). Checks the segment's checksum and sizes:
 * CS_ECORRUPT names the file on any mismatch. Safe to call from several threads at once with
 * different `out`s. */
int cs_snap_read_col(
    struct cs_snap *snap, int table, size_t i, int col, struct cs_col *out, struct cs_error *err);
/* cs_snap_read_part() - all columns of row group i into batch b (reset first). */
int cs_snap_read_part(
    struct cs_snap *snap, int table, size_t i, struct cs_batch *b, struct cs_error *err);
/* cs_snap_read_day_cols() - the ncols columns cols[] (valid column numbers of b's table) of
 * day time_key's partition of table into b (reset first; the others stay empty; b->rows is the
 * day's row count, 0 when the day has none). The pages read are released after. */
int cs_snap_read_day_cols(struct cs_snap *snap,
                          int table,
                          int32_t time_key,
                          const int8_t *cols,
                          size_t ncols,
                          struct cs_batch *b,
                          struct cs_error *err);
/* cs_snap_read_groups() - the columns cols[0..ncols) (all of them when cols is NULL) of row
 * groups [first, end) of table, concatenated, into b (reset first; the other columns stay
 * empty; b->rows is the total). A whole partition: cs_snap_part_range() of its day. */
int cs_snap_read_groups(struct cs_snap *snap,
                        int table,
                        size_t first,
                        size_t end,
                        const int *cols,
                        size_t ncols,
                        struct cs_batch *b,
                        struct cs_error *err);
/* A row group's natural-key filter (storage/key_filter.h): absent for facts, and in groups
 * written before format 2. */
struct cs_key_filter;
/* cs_snap_key_filter() - the checked filter of row group i; *present false when it has none
 * (every name may then be in it). */
int cs_snap_key_filter(struct cs_snap *snap,
                       int table,
                       size_t i,
                       struct cs_key_filter *f,
                       bool *present,
                       struct cs_error *err);

/* A column segment opened for reading its values in place, a vector at a time, without
 * decoding the whole column (cs_snap_view_col()). Opening checks everything cs_seg_decode()
 * checks except what only a full decode can see (dictionary codes are checked as they are
 * read); a damaged segment is CS_ECORRUPT naming the file. Pointers point into the mapped
 * file or into `scratch` (an LZ4 payload decompressed there, a DELTA column decoded there);
 * they stay valid until the view is opened again or freed, and while the snapshot is open.
 * Values of NULL rows are unspecified: consult the NULL map. Initialize with
 * cs_seg_view_init(), release with cs_seg_view_free(); one view per thread. */
struct cs_seg_view {
    uint8_t kind;  /* enum cs_kind */
    uint8_t codec; /* storage/codec.h: enum cs_codec */
    size_t rows, null_count;
    const uint8_t *null_bits; /* validity bitmap (bit = NULL); NULL unless 0 < nulls < rows */
    int64_t base;             /* I64 CONST/FOR: the value / reference; BOOL CONST: 0 or 1 */
    unsigned width;           /* FOR, DICT codes: bits a value */
    const uint8_t *packed;    /* FOR values, BOOL bits, DICT codes; PFOR: the first block */
    const int64_t *decoded;   /* DELTA, DELTA_PFOR: every row, decoded into scratch */
    size_t dict_count;        /* DICT: entries */
    const uint64_t *dict_off; /* DICT: entry e = dict_bytes[dict_off[e] .. dict_off[e + 1]) */
    const uint8_t *dict_bytes;
    char file[4096]; /* the data file, for messages */
    uint8_t *scratch;
    size_t scratch_cap;
    uint64_t *words; /* DICT / PLAIN offsets, DELTA values; PFOR: each 128-row block's offset */
    size_t words_cap;
    uint8_t *raw; /* CS_OPEN_PREAD: the segment's bytes, read into this buffer */
    size_t raw_cap;
};

void cs_seg_view_init(struct cs_seg_view *v);
void cs_seg_view_free(struct cs_seg_view *v);

/* cs_snap_view_col() - open column col of partition i for reading in place (see above); its
 * kind must be `kind`. Checks the segment as cs_snap_read_col() does. */
int cs_snap_view_col(struct cs_snap *snap,
                     int table,
                     size_t i,
                     int col,
                     int kind,
                     struct cs_seg_view *v,
                     struct cs_error *err);

/* Rows [from, from + n) of an open view; `from` must be a multiple of 8. */
/* cs_seg_view_nulls() - out[k] = 1 when row from + k is NULL; returns false (out untouched)
 * when the segment has no NULL. */
bool cs_seg_view_nulls(const struct cs_seg_view *v, size_t from, size_t n, uint8_t *out);
/* cs_seg_view_i64() - the values (I64 views). */
void cs_seg_view_i64(const struct cs_seg_view *v, size_t from, size_t n, int64_t *out);
/* cs_seg_view_bool() - the values as 0/1 bytes (BOOL views). */
void cs_seg_view_bool(const struct cs_seg_view *v, size_t from, size_t n, uint8_t *out);

/* Aggregates over every row, straight from the encoded values. */
/* cs_seg_view_sum_i64() - *sum = the sum of the non-NULL values (I64 views); false when it
 * does not fit in int64 (*sum then unspecified). */
bool cs_seg_view_sum_i64(const struct cs_seg_view *v, int64_t *sum);
/* cs_seg_view_count_true() - non-NULL true values (BOOL views). */
size_t cs_seg_view_count_true(const struct cs_seg_view *v);
/* cs_seg_view_count_str() - non-NULL rows equal to s[0..len) (STR views); CS_ECORRUPT when a
 * dictionary code is out of range. */
int cs_seg_view_count_str(
    const struct cs_seg_view *v, const char *s, size_t len, size_t *count, struct cs_error *err);

/* What `colquery info` shows of a snapshot (store_read.c). */
struct cs_snap_disk {
    int64_t committed_us;    /* the manifest's modification time: when the version committed */
    uint64_t manifest_bytes; /* the manifest file */
    uint64_t data_bytes;     /* the data files the version uses, whole (dead space included) */
    unsigned format;         /* manifest and data file format version */
};
/* cs_snap_disk() - fill *out for snap (an empty new store may have no manifest: zeros). */
int cs_snap_disk(const struct cs_snap *snap, struct cs_snap_disk *out, struct cs_error *err);
/* cs_snap_file_time() - when data file `file_id` (cs_part_info.file_id: the commit that wrote
 * it) was written, µs since 1970 UTC (its modification time); 0 when it cannot be read. */
int64_t cs_snap_file_time(const struct cs_snap *snap, uint64_t file_id);
/* cs_snap_col_header() - the first CS_SEG_HEADER_SIZE bytes (segment.h) of column col of
 * partition i into out, and the segment's length into *len; the block header is checked. */
int cs_snap_col_header(struct cs_snap *snap,
                       int table,
                       size_t i,
                       int col,
                       uint8_t out[64],
                       uint64_t *len,
                       struct cs_error *err);

/* cs_snap_release_part() - drop partition i's mapped pages from the resident set (they stay in
 * the page cache); a later read maps them in again. For long scans that must not grow RSS. */
void cs_snap_release_part(struct cs_snap *snap, int table, size_t i);

/* cs_txn_begin() - start the one write transaction of a store opened with CS_OPEN_WRITE.
 * Takes the writer lock: CS_EBUSY when another process or handle holds it. */
int cs_txn_begin(struct cs_store *st, struct cs_txn **out, struct cs_error *err);
/* cs_txn_snap() - the version the transaction started from (owned by the txn). */
struct cs_snap *cs_txn_snap(struct cs_txn *txn);
/* cs_txn_put_part() - make `rows` the whole content of partition (table, time_key) in the
 * new version: replaces every row group there with one (seq 0); rows->rows == 0 removes the
 * partition. Dimensions use time_key 0. The data is encoded and written now; nothing is
 * visible before commit. */
int cs_txn_put_part(struct cs_txn *txn,
                    int table,
                    int32_t time_key,
                    const struct cs_batch *rows,
                    struct cs_error *err);
/* cs_txn_put_group() - row group seq (< CS_MAX_ROW_GROUPS) of the partition := rows: replaced
 * when it exists, added otherwise; rows->rows == 0 removes it. The other groups stay. */
int cs_txn_put_group(struct cs_txn *txn,
                     int table,
                     int32_t time_key,
                     uint32_t seq,
                     const struct cs_batch *rows,
                     struct cs_error *err);
/* cs_txn_append_part() - rows added to the partition as a new row group after its last one
 * (the partition's rows become its rows, then these): nothing stored is rewritten. When the
 * group numbers run out, the partition is rewritten as one group instead. */
int cs_txn_append_part(struct cs_txn *txn,
                       int table,
                       int32_t time_key,
                       const struct cs_batch *rows,
                       struct cs_error *err);
/* cs_txn_copy_group() - row group i of table in the base version copied byte for byte into
 * the transaction's data file (its checksums checked, nothing decoded) and put in its place:
 * the same seq, rows and block; compaction moves live blocks out of mostly-dead files. */
int cs_txn_copy_group(struct cs_txn *txn, int table, size_t i, struct cs_error *err);
/* cs_txn_group_count() - the partition's row groups as the transaction would commit them. */
size_t cs_txn_group_count(struct cs_txn *txn, int table, int32_t time_key);
/* cs_txn_read_part() - the rows of partition (table, time_key) as the transaction would commit
 * them now (the base version's row groups with this transaction's puts applied, concatenated
 * in seq order); b (a batch of `table`) is reset and left empty when there is none. Lets a
 * loader merge late rows into a partition it already put. */
int cs_txn_read_part(
    struct cs_txn *txn, int table, int32_t time_key, struct cs_batch *b, struct cs_error *err);
/* cs_txn_read_cols() - the same for the ncols columns cols[] only (the others of b stay
 * empty; b->rows is the partition's row count). */
int cs_txn_read_cols(struct cs_txn *txn,
                     int table,
                     int32_t time_key,
                     const int8_t *cols,
                     size_t ncols,
                     struct cs_batch *b,
                     struct cs_error *err);
/* cs_txn_commit() - make every put visible at once (manifest replaced atomically) and end the
 * transaction (txn is freed, the lock released), whatever the outcome. On failure the store
 * stays at the previous version. */
int cs_txn_commit(struct cs_txn *txn, struct cs_error *err);
/* cs_txn_abort() - drop the transaction and the files it wrote; NULL is a no-op. */
void cs_txn_abort(struct cs_txn *txn);

/* What cs_snap_backup() did. */
struct cs_backup_stats {
    uint64_t files;  /* data files */
    uint64_t linked; /* of them hard-linked */
    uint64_t copied; /* of them copied */
    uint64_t bytes;  /* their size */
};
/* cs_snap_backup() - write what snap shows as a store of its own in directory dest (missing:
 * created, its parent must exist; or empty; never a symlink nor inside the store): data files
 * hard-linked (copied across file systems, or always with copy_only), synced, then the manifest
 * and CURRENT last, as a commit writes them. Needs no lock: the snapshot pins the files. On
 * failure what it created is removed again. CS_EINVAL for a dest that is not acceptable. */
int cs_snap_backup(struct cs_snap *snap,
                   const char *dest,
                   bool copy_only,
                   struct cs_backup_stats *out,
                   struct cs_error *err);

/* cs_store_verify() - read every file of the store, check every checksum and size. Each
 * problem is reported through cb (file name relative to the store, reason). Returns CS_OK
 * when all is well, CS_ECORRUPT when anything is damaged, CS_EIO when it cannot read. */
typedef void (*cs_verify_cb)(void *ctx, const char *file, const char *reason);
int cs_store_verify(struct cs_store *st, cs_verify_cb cb, void *ctx, struct cs_error *err);

#endif
