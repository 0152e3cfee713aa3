/*
 * Private to the store implementation (store*.c, manifest.c, commit.c, verify.c): the in-memory manifest, the snapshot and store structures, the byte layouts
 * of docs/storage-format.md as constants, and the I/O helpers every file operation goes
 * through. Only those files include it (and tests/storage/test_crash_store.c, for the
 * kill-point hook cs_store_test_hook).
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/status.h"
#include "storage/store.h"
#include "storage/store_io.h"

/* docs/storage-format.md §3: data files. */
#define CS_DATA_MAGIC       "CSDATA01"
#define CS_DATA_HEADER_SIZE 32u
#define CS_DATA_FORMAT      2u /* written; 1 (no key filters) is still read */
#define CS_DATA_FORMAT_MIN  1u
/* §4: partition block header. */
#define CS_PART_MAGIC      0x54504343u /* "CCPT" little-endian */
#define CS_PART_FIXED_SIZE 24u
#define CS_PART_COL_SIZE   40u
/* §4: block flags (header byte 6). */
#define CS_BLK_KEY_FILTER 0x01u /* a natural-key filter follows the segments (§4.1) */
/* §5: manifest. */
#define CS_MAN_MAGIC       "CSMANIF1"
#define CS_MAN_FORMAT      2u /* written; 1 (one row group per partition) is still read */
#define CS_MAN_FORMAT_MIN  1u
#define CS_MAN_HEADER_SIZE 64u
#define CS_MAN_FILE_SIZE   16u
#define CS_MAN_PART_SIZE   72u /* format 2; 40 in format 1 (no key and id ranges) */
#define CS_MAN_PART_SIZE_1 40u
#define CS_MAN_MAX_BYTES   (1u << 30)
#define CS_CURRENT_NAME    "CURRENT"
#define CS_LOCK_NAME       "LOCK"
#define CS_CURRENT_TMP     "CURRENT.tmp"
#define CS_DATA_DIR        "data"
#define CS_PATH_MAX        4096u
/* A snapshot retries this often when commits keep deleting the manifest it just read. */
#define CS_SNAP_OPEN_RETRIES 64

/* One live data file of a manifest. */
struct cs_mfile {
    uint64_t id;   /* commit number that wrote it: data/<id %012>.cseg */
    uint64_t size; /* exact byte size */
};

/* One live row group of a manifest (docs/storage-format.md §5): a partition (table,
 * time_key) is the row groups with its key, in seq order. */
struct cs_mpart {
    uint8_t table;
    uint8_t ncols;
    uint16_t seq; /* row group within the partition */
    int32_t time_key;
    uint32_t rows;
    uint32_t file; /* index into cs_manifest.files */
    uint64_t off;  /* block start in the data file */
    uint64_t len;  /* block bytes */
    uint64_t hsum; /* XXH64 of the block's header, as stored at the header's end */
    /* Zone maps of the key column and of the operational-id column (source_id) copied from the
     * block header, so that a writer finds a table's largest key and the groups that may hold
     * an id without reading every block header; min > max when the column has no value (no
     * such column, or every row NULL). Format 1 manifests have none: has_ranges false. */
    int64_t key_min, key_max, id_min, id_max;
    bool has_ranges;
};

/* A parsed manifest; immutable once loaded. */
struct cs_manifest {
    uint64_t version;
    uint32_t format; /* as read (1 or 2); 0 for one built in memory (written as CS_MAN_FORMAT) */
    uint32_t nfiles, nparts;
    struct cs_mfile *files;
    struct cs_mpart *parts;           /* ordered by (table, time_key, seq) */
    uint32_t first[CS_TABLE_MAX + 2]; /* parts of table t: [first[t], first[t + 1]) */
};

/* One mapping of a data file, shared by the snapshots of a store handle: data files never
 * change once committed, so a mapping outlives the snapshot that made it and later snapshots
 * reuse it (no page faults again) after checking with stat() that the file is still the one
 * mapped (same device, inode and size). Unmapped when no snapshot uses it and the newest
 * manifest no longer names the file, or when the store is closed. */
struct cs_smap {
    uint64_t id, size;
    uint64_t dev, ino;
    const uint8_t *base;
    unsigned refs; /* snapshots using it */
    bool stale;    /* the file was replaced: never handed out again */
    /* Offsets (+ 1) of the segments and partition headers whose checksums this mapping has
     * verified: data files are immutable, so a later snapshot trusts them (open addressing,
     * inserted with CAS by any reader thread; full: simply not remembered). */
    _Atomic uint64_t *checked;
    size_t checked_mask;
};

/* cs_smap_checked() / cs_smap_set_checked() - whether the checksum of the block at offset
 * off of sm's file was verified, and remember that it was. sm may be NULL (nothing known). */
bool cs_smap_checked(const struct cs_smap *sm, uint64_t off);
void cs_smap_set_checked(struct cs_smap *sm, uint64_t off);

/* One data file as a snapshot maps it: lazily, once, shared by the snapshot's threads. */
struct cs_fmap {
    _Atomic(const uint8_t *) base; /* NULL until mapped */
    size_t size;
    struct cs_smap *smap;     /* the store's mapping it holds a reference to */
    char *path;               /* the file's path, set with base */
    _Atomic int fd;           /* CS_OPEN_PREAD: the open file, checked; -1 until opened */
    _Atomic int64_t mtime_us; /* cs_snap_file_time(): the file's mtime once asked, 0 before */
};

/* A parsed manifest shared by the snapshots of one version (and the store's cache). */
struct cs_mref {
    atomic_uint refs;
    struct cs_manifest m;
};

struct cs_snap {
    struct cs_store *st;
    struct cs_mref *mref;
    const struct cs_manifest *m; /* &mref->m */
    int pin_fd; /* MANIFEST-<version>, held with LOCK_SH so that no writer deletes it */
    pthread_mutex_t map_mu;
    struct cs_fmap *maps;        /* m.nfiles */
    _Atomic(uint8_t) *header_ok; /* m.nparts: block header of partition already checked */
    bool pread;                  /* CS_OPEN_PREAD */
    _Atomic(uint8_t *) *headers; /* CS_OPEN_PREAD, m.nparts: each block header read, checked */
};

struct cs_store {
    char *dir;
    char *data_dir; /* "<dir>/data", for messages */
    int dfd;        /* the store directory, open: every file is reached through it */
    int ddfd;       /* its data/ directory (not a symlink) */
    unsigned flags;
    atomic_bool txn_active; /* one transaction per handle; other handles: the LOCK file */
    pthread_mutex_t cache_mu;
    struct cs_mref *cache;   /* the newest manifest parsed, reused while CURRENT names it */
    pthread_mutex_t smap_mu; /* guards smaps; taken before cache_mu, never after it */
    struct cs_smap **smaps;
    size_t nsmaps, smaps_cap;
};

/* The test hook of the commit's kill points (see commit.c); NULL in production. */
extern void (*cs_store_test_hook)(const char *point);

/* --- little-endian fields --- */
void cs_put_u16(uint8_t *p, uint16_t v);
uint16_t cs_get_u16(const uint8_t *p);
void cs_put_u32(uint8_t *p, uint32_t v);
void cs_put_u64(uint8_t *p, uint64_t v);
uint32_t cs_get_u32(const uint8_t *p);
uint64_t cs_get_u64(const uint8_t *p);

/* --- data file names --- */
/* cs_sio_data_name() - "data/%012llu.cseg" of a data file id (relative to the store). */
void cs_sio_data_name(char buf[64], uint64_t id);
/* cs_sio_data_file() - "%012llu.cseg" (relative to the data directory). */
void cs_sio_data_file(char buf[64], uint64_t id);

/* --- manifest.c --- */
/* cs_man_encode() - m as bytes (new malloc'd buffer). */
int cs_man_encode(const struct cs_manifest *m, uint8_t **out, size_t *len, struct cs_error *err);
/* cs_man_decode() - parse and validate buf; CS_ECORRUPT naming `file`. m owns new arrays. */
int cs_man_decode(
    const uint8_t *buf, size_t len, const char *file, struct cs_manifest *m, struct cs_error *err);
void cs_man_free(struct cs_manifest *m);
/* cs_man_index() - fill m->first[] from the ordered parts. */
void cs_man_index(struct cs_manifest *m);
/* cs_man_load_fd() - read and decode the manifest open as fd (size bounded, then checked). */
int cs_man_load_fd(int fd, const char *path, struct cs_manifest *m, struct cs_error *err);
/* cs_read_current() - the version CURRENT (under dfd, the directory `dir`) names;
 * CS_ECORRUPT when malformed or not a regular file. *missing: CURRENT does not exist. */
int cs_read_current(
    int dfd, const char *dir, uint64_t *version, bool *missing, struct cs_error *err);

/* Data file and partition headers (docs/storage-format.md §3, §4). */
void cs_data_header_encode(uint8_t out[CS_DATA_HEADER_SIZE], uint64_t id);
int cs_data_header_check(
    const uint8_t *base, size_t size, uint64_t id, const char *file, struct cs_error *err);
/* cs_part_header_check() - validate the block header at blk[0..len) against p; on success
 * *cols points at the column directory (p->ncols entries of CS_PART_COL_SIZE). */
int cs_part_header_check(const uint8_t *blk,
                         size_t len,
                         const struct cs_mpart *p,
                         const char *file,
                         const uint8_t **cols,
                         struct cs_error *err);
/* cs_part_filter_check() - CS_ECORRUPT when the block (whole, at blk) has a key filter that
 * does not check (§4.1); checked with the header, once per snapshot. */
int cs_part_filter_check(const uint8_t *blk,
                         const uint8_t *cols,
                         const struct cs_mpart *p,
                         const char *file,
                         struct cs_error *err);
/* cs_part_filter_off() - where a block's key filter starts: the end of its last segment. */
uint64_t cs_part_filter_off(const uint8_t *cols, int ncols);
/* cs_mpart_cmp() - the manifest's order of row groups: (table, time_key, seq). */
static inline int cs_mpart_cmp(const struct cs_mpart *a, const struct cs_mpart *b)
{
    if (a->table != b->table) return a->table < b->table ? -1 : 1;
    if (a->time_key != b->time_key) return a->time_key < b->time_key ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}
/* cs_snap_block_checked() - row group i's block, its header, key filter and every segment's
 * checksum checked (nothing decoded), and its manifest entry. */
int cs_snap_block_checked(struct cs_snap *snap,
                          int table,
                          size_t i,
                          const struct cs_mpart **part,
                          const uint8_t **blk,
                          struct cs_error *err);
/* cs_part_col() - segment bounds and zone map of column col of a checked block. */
void cs_part_col(
    const uint8_t *cols, int col, uint64_t *off, uint64_t *len, struct cs_seg_stats *stats);

/* --- store_snap.c, store_map.c, store_read.c, store_pread.c, commit.c --- */
/* cs_mref_put() - drop a reference to a parsed manifest (NULL: no-op). */
void cs_mref_put(struct cs_mref *r);
/* cs_smap_release() - drop one reference to sm (NULL: none), then unmap every mapping that
 * no snapshot uses and that is stale or no longer named by the newest manifest. */
void cs_smap_release(struct cs_store *st, struct cs_smap *sm);
/* cs_smap_unmap_all() - unmap every mapping of st (no snapshot may be open). */
void cs_smap_unmap_all(struct cs_store *st);
/* cs_snap_data_path() - "<store>/data/<id>.cseg" of data file fi, for messages. */
void cs_snap_data_path(const struct cs_snap *snap, uint32_t fi, char path[CS_PATH_MAX]);
/* cs_snap_view_pread() - cs_snap_view_col() of a CS_OPEN_PREAD snapshot. */
int cs_snap_view_pread(struct cs_snap *snap,
                       int table,
                       size_t i,
                       int col,
                       int kind,
                       struct cs_seg_view *v,
                       struct cs_error *err);
/* cs_snap_col_header_pread() - cs_snap_col_header() of a CS_OPEN_PREAD snapshot. */
int cs_snap_col_header_pread(struct cs_snap *snap,
                             int table,
                             size_t i,
                             int col,
                             uint8_t out[64],
                             uint64_t *len,
                             struct cs_error *err);
/* cs_snap_open_fresh() - cs_snap_open() that re-reads the manifest from disk (verify). */
int cs_snap_open_fresh(struct cs_store *st, struct cs_snap **out, struct cs_error *err);
/* cs_snap_block() - the mapped block of partition p and the data file's path (in path_buf). */
int cs_snap_block(struct cs_snap *snap,
                  const struct cs_mpart *p,
                  const uint8_t **blk,
                  const char **file_path,
                  char path_buf[CS_PATH_MAX],
                  struct cs_error *err);
/* cs_snap_map_file() - map data file fi of snap (once; thread-safe). */
int cs_snap_map_file(struct cs_snap *snap, uint32_t fi, const uint8_t **base, struct cs_error *err);
/* cs_store_create_empty() - make the directory open as dfd a store at version 0 (empty
 * manifest, CURRENT), under the writer lock; nothing when another creator won. */
int cs_store_create_empty(int dfd, const char *dir, struct cs_error *err);
/* cs_take_lock() - the writer lock (LOCK_EX|LOCK_NB on LOCK, created when missing). */
int cs_take_lock(int dfd, const char *dir, int *fd, struct cs_error *err);
/* cs_store_kill_point() - the commit's test hook (no-op when cs_store_test_hook is NULL). */
void cs_store_kill_point(const char *point);

#endif
