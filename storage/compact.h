/*
 * Compaction (docs/storage-format.md §12): one ordinary commit that rewrites what a store fed
 * night after night accumulates, so that it stays about the size of the same data loaded in
 * one go:
 * - dead space: a data file whose blocks were replaced by later commits (rewritten dimension
 *   chunks, merged days) stays while any of its blocks is live; the live blocks of such files
 *   are copied, byte for byte (checksums checked, nothing decoded), into the commit's new file,
 *   and the old files are deleted by the commit's cleanup once no snapshot pins them;
 * - row groups: a fact day that nightly late rows spread over many small groups is merged into
 *   one group; adjacent small chunks of a dimension are merged up to a chunk's size.
 * Readers are never blocked (they keep their snapshot); writers wait for the writer lock as
 * for any load. Memory: one partition's rows at a time (merges), one block (copies: mapped).
 */
#ifndef CS_STORAGE_COMPACT_H
#define CS_STORAGE_COMPACT_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/store.h"

/* When to compact, and what. */
struct cs_compact_policy {
    /* Run only when the store's dead bytes exceed this share of its data files' bytes (0: run
     * whenever there is anything at all to do) ... */
    double store_dead_share;
    /* ... then copy out the live blocks of every data file whose dead share exceeds this. */
    double file_dead_share;
    /* A fact partition with more row groups than this is merged into one (also a reason to run
     * on its own). */
    uint32_t max_groups;
    /* Adjacent dimension chunks are merged while together at most this many rows. */
    uint32_t dim_chunk_rows;
    /* A fact day of several row groups more than this many days before its table's newest day
     * is merged into one (also a reason to run): late rows come within a week, so such a day is
     * settled and merged once. 0: no such rule. */
    uint32_t settle_days;
    /* When more than max_small_files data files of under small_file_bytes each hold live
     * blocks, the live blocks of all of them are copied into the commit's one new file (also a
     * reason to run): every night writes a file of its own, and a report over a year that maps
     * and faults in 365 small files pays for each. 0: no such rule. */
    uint32_t max_small_files;
    uint64_t small_file_bytes;
};

/* `colload compact`: everything there is to do. */
#define CS_COMPACT_POLICY_ALL                        \
    {                                                \
        0.0, 0.0, 1, 16384, 0, 1, UINT64_C(16) << 20 \
    }
/* After each load (docs/storage-format.md §12 explains the figures): a store whose dead bytes
 * reach 10 % is compacted (the files more than 25 % dead), a day of more than 8 groups is
 * merged, and so is a day of several groups more than 7 days before its table's newest; more
 * than 32 files under 16 MiB are copied into one. */
#define CS_COMPACT_POLICY_AUTO                          \
    {                                                   \
        0.10, 0.25, 8, 16384, 7, 32, UINT64_C(16) << 20 \
    }

struct cs_compact_stats {
    bool committed;             /* false: nothing to do (no commit) */
    uint64_t version;           /* the commit, when committed */
    uint64_t bytes_before;      /* data files of the version compacted (whole) */
    uint64_t bytes_after;       /* data files of the new version */
    uint64_t dead_bytes_before; /* bytes of those files that no live block used */
    uint32_t files_before, files_after;
    uint32_t groups_copied;     /* blocks copied byte for byte */
    uint32_t partitions_merged; /* fact days whose groups became one */
    uint32_t groups_merged;     /* row groups that merges read */
};

/* cs_store_compact() - compact st (opened for writing) by policy in one commit. */
int cs_store_compact(struct cs_store *st,
                     const struct cs_compact_policy *policy,
                     struct cs_compact_stats *out,
                     struct cs_error *err);

#endif
