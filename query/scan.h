/*
 * The table scan: the engine's one operator for reading a table's rows, used by the public
 * scan API (engine/scan_api.c), its Arrow C Stream, the Parquet export and, through them, the
 * PostgreSQL foreign data wrapper.
 *
 * A scan reads one table of one snapshot:
 * - partitions: the table's partitions, optionally restricted to an index range (parallel
 *   workers split a table so) and to time_key bounds, then pruned by the zone maps of the
 *   predicate's columns (min/max, NULL counts in each block header) where they prove that no
 *   row can pass;
 * - projection: only the columns asked for, plus those the predicate reads, are decoded;
 * - predicate: a tree of comparisons with constants (=, <>, <, <=, >, >=), IN lists,
 *   IS NULL, boolean columns and constants, combined by AND / OR / NOT, evaluated a vector
 *   (CS_VECTOR_SIZE rows) at a time with SQL's three-valued logic; a row is returned when the
 *   predicate is TRUE. Rows that fail are never copied into the output batch.
 * Output: one batch per kept partition (rows in stored order, i.e. key order), holding the
 * projected columns in the order asked (query_hash comes out as its 32-digit hex text).
 *
 * Thread safety: one scan belongs to one thread; any number of scans may read one snapshot
 * at once (that is how a table is scanned in parallel).
 */
#ifndef CS_QUERY_SCAN_H
#define CS_QUERY_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

/* Predicate node kinds. */
enum cs_scan_op {
    CS_SCAN_CONST = 1, /* a constant truth value (`truth`) */
    CS_SCAN_CMP = 2,   /* column `col` <cmp> constant */
    CS_SCAN_IN = 3,    /* column `col` IN (list) */
    CS_SCAN_IS_NULL = 4,
    CS_SCAN_BOOL = 5, /* the value of boolean column `col` (NULL is unknown) */
    CS_SCAN_AND = 6,
    CS_SCAN_OR = 7,
    CS_SCAN_NOT = 8,
};

enum cs_scan_cmp {
    CS_CMP_EQ = 0,
    CS_CMP_NE = 1,
    CS_CMP_LT = 2,
    CS_CMP_LE = 3,
    CS_CMP_GT = 4,
    CS_CMP_GE = 5,
};

/* Truth values, ordered so that AND is the minimum, OR the maximum and NOT is 2 - x. */
enum cs_truth {
    CS_FALSE = 0,
    CS_UNKNOWN = 1,
    CS_TRUE = 2,
};

/* A predicate node. Constants are in the column's stored units: integers, NUMERIC scaled to
 * the column's scale, DATE days, TIMESTAMPTZ microseconds, BOOL 0/1 (as i64); text (and
 * query_hash, compared as its hex text) as bytes. cs_scan_pred_free() releases what the
 * cs_scan_pred_* constructors allocate. */
struct cs_scan_pred {
    uint8_t op;    /* enum cs_scan_op */
    uint8_t cmp;   /* CMP: enum cs_scan_cmp */
    uint8_t truth; /* CONST: enum cs_truth */
    int col;       /* CMP, IN, IS_NULL, BOOL: schema column */
    int64_t k;     /* CMP on integer-like or boolean columns */
    char *s;       /* CMP on text columns: the constant (owned) */
    size_t len;
    int64_t *ik; /* IN on integer-like columns: sorted, distinct (owned) */
    char **sk;   /* IN on text columns: the strings (owned) */
    size_t *sklen;
    size_t nk;
    bool in_null;               /* IN: the list holds a NULL (no match is UNKNOWN) */
    struct cs_scan_pred **args; /* AND, OR (nargs >= 1), NOT (nargs == 1); owned */
    size_t nargs;
};

/* Constructors: each returns a new node or NULL when memory runs out. */
struct cs_scan_pred *cs_scan_pred_const(int truth);
struct cs_scan_pred *cs_scan_pred_cmp_i64(int col, int cmp, int64_t k);
struct cs_scan_pred *cs_scan_pred_cmp_str(int col, int cmp, const char *s, size_t len);
/* IN over n integers (any order, repeats allowed) or n strings; in_null: the list held NULL. */
struct cs_scan_pred *cs_scan_pred_in_i64(int col, const int64_t *v, size_t n, bool in_null);
struct cs_scan_pred *
cs_scan_pred_in_str(int col, const char *const *s, const size_t *len, size_t n, bool in_null);
struct cs_scan_pred *cs_scan_pred_is_null(int col);
struct cs_scan_pred *cs_scan_pred_bool(int col);
/* AND / OR / NOT of args[0..n) (NOT: n == 1); takes ownership of the args, also on failure. */
struct cs_scan_pred *cs_scan_pred_logic(int op, struct cs_scan_pred **args, size_t n);
void cs_scan_pred_free(struct cs_scan_pred *p);

/* cs_scan_pred_check() - CS_EINVAL naming the problem when p does not fit table t: a column
 * out of range or hidden, a comparison the column's type does not have (jsonb and text[]
 * columns take IS NULL only; BOOL needs a boolean column), a malformed tree. */
int cs_scan_pred_check(const struct cs_table_def *t,
                       const struct cs_scan_pred *p,
                       struct cs_error *err);

/* cs_scan_rescale() - the comparison `column <*cmp> v / 10^vscale` rewritten exactly in the
 * units of a column of scale cscale (an integer column has scale 0): sets *k and may change
 * *cmp (x < 1.5 becomes x <= 1; x = 1.5 becomes a comparison no value passes; a constant
 * beyond int64 one every value passes or none does). NULL stays UNKNOWN either way.
 * vscale and cscale are 0..38. */
void cs_scan_rescale(int64_t v, int vscale, int cscale, int *cmp, int64_t *k);

struct cs_scan_opts {
    const int *cols; /* projection: schema columns, in output order (repeats allowed) */
    size_t ncols;
    const struct cs_scan_pred *pred; /* NULL: every row; borrowed until cs_scan_close() */
    int32_t tk_min, tk_max;          /* time_key bounds, 0 = unbounded (ignored for dimensions) */
    size_t part_first;               /* partitions [part_first, part_first + part_count) */
    size_t part_count;               /* 0 = to the last partition */
};

struct cs_scan_stats {
    uint64_t parts_total;        /* partitions of the table in the snapshot */
    uint64_t parts_out_of_range; /* outside [part_first, part_first + part_count) */
    uint64_t parts_pruned_time;  /* outside the time_key bounds */
    uint64_t parts_pruned_zone;  /* skipped: the zone maps prove no row passes */
    uint64_t parts_scanned;      /* read so far */
    uint64_t rows_scanned;       /* rows of the partitions read */
    uint64_t rows_returned;      /* rows that passed */
    uint64_t predicates;         /* leaf predicates evaluated per row (comparisons, IN, ...) */
    uint64_t columns_decoded;    /* column segments decoded */
};

/* One batch: the passing rows of one partition. Valid until the next cs_scan_next() or
 * cs_scan_close(). */
struct cs_scan_batch {
    size_t rows;
    int32_t time_key; /* 0 for a dimension */
    size_t part;      /* partition index in the snapshot */
    size_t ncols;
    const struct cs_col *const *cols; /* ncols columns (query_hash as CS_K_STR hex text) */
};

struct cs_scan;

/* cs_scan_open() - a scan of table t on snap (which must outlive it). Checks the projection
 * and the predicate (CS_EINVAL), and decides which partitions to read (zone maps are read
 * here: CS_ECORRUPT when a block header is damaged). */
int cs_scan_open(struct cs_snap *snap,
                 const struct cs_table_def *t,
                 const struct cs_scan_opts *o,
                 struct cs_scan **out,
                 struct cs_error *err);
/* cs_scan_next() - the next batch into *out, or *out = NULL at the end. Partitions whose rows
 * all fail are skipped (no empty batch). CS_ECORRUPT when a segment is damaged. */
int cs_scan_next(struct cs_scan *s, const struct cs_scan_batch **out, struct cs_error *err);
/* cs_scan_kept() - partitions the scan reads (after range, time and zone-map pruning), and the
 * snapshot index of the k-th. */
size_t cs_scan_kept(const struct cs_scan *s);
size_t cs_scan_kept_part(const struct cs_scan *s, size_t k);
void cs_scan_stats(const struct cs_scan *s, struct cs_scan_stats *out);
void cs_scan_close(struct cs_scan *s);

#endif
