/*
 * A dimension changed in place by a load, a chunk at a time (docs/storage-format.md §1: a
 * dimension is stored as key-ordered chunks, each a row group with a natural-key filter).
 *
 *   cs_dimc_open()   list the chunks (row groups) and their filters; read no row
 *   cs_dimc_find()   a natural key → its row: chunks whose filter may hold the key are read
 *                    (once) and indexed; a key that none holds is absent (no false negative)
 *   cs_dimc_add()    a new row (key order: after every stored one)
 *   cs_dimc_dirty()  the row's chunk will be rewritten
 *   cs_dimc_put()    the changed chunks rewritten as their row groups, new rows appended as
 *                    new ones (CS_DIM_CHUNK_ROWS each); nothing else of the dimension is read
 *                    or written
 *
 * A nightly load that meets a few hundred conversations of a dimension of millions reads the
 * few chunks that may hold them (usually the last nights' small ones) instead of the whole
 * dimension, and writes back only those. A chunk without a filter (written by format 1) is
 * read whenever a key is looked for; when it must be rewritten and is large, the whole
 * dimension is rewritten once as chunks (with filters).
 */
#ifndef CS_ENGINE_DIM_CHUNKS_H
#define CS_ENGINE_DIM_CHUNKS_H

#include "engine/hmap.h"
#include "engine/session.h"
#include "storage/key_filter.h"

/* Rows of one dimension chunk as a load writes them: a chunk rewritten because one of its
 * rows changed costs this many rows' decoding and encoding at most. */
#define CS_DIM_CHUNK_ROWS 16384u

struct cs_dimc_chunk {
    size_t part; /* its row group in the snapshot */
    uint32_t seq;
    uint32_t rows;
    bool has_filter;
    struct cs_key_filter filter;
    bool named;  /* its natural keys read and indexed */
    bool loaded; /* all its columns read */
    bool dirty;
    struct cs_batch b; /* its rows: the natural key once named, every column once loaded */
};

struct cs_dimc {
    struct cs_snap *snap;
    const struct cs_table_def *t;
    struct cs_dimc_chunk *chunks;
    size_t nchunks;
    struct cs_hmap names;  /* natural key → chunk << 32 | row (chunk == nchunks: added rows) */
    struct cs_batch added; /* new rows, keys ascending from next_key */
    int64_t next_key;      /* the next surrogate key */
    size_t named, loaded;  /* chunks whose keys / whole rows were read so far */
};

/* A row found or added: rows->cols[..][row] may be read and (with cs_dimc_dirty) changed. */
struct cs_dimc_row {
    size_t chunk; /* nchunks: an added row */
    size_t row;
    struct cs_batch *rows;
};

int cs_dimc_open(struct cs_snap *snap, int table, struct cs_dimc *d, struct cs_error *err);
void cs_dimc_free(struct cs_dimc *d);
/* cs_dimc_find() - the row whose natural key is s[0..len); *found false when none. Chunks
 * whose filter may hold the key have their natural-key column read; the chunk that holds it,
 * every column. */
int cs_dimc_find(struct cs_dimc *d,
                 const char *s,
                 size_t len,
                 struct cs_dimc_row *out,
                 bool *found,
                 struct cs_error *err);
/* cs_dimc_add() - a new empty row slot in the added rows: the caller pushes one value into
 * every column of out->rows (the key column: cs_dimc_next_key()) and then calls
 * cs_dimc_added(). `name` (s[0..len), which must outlive d) is its natural key. */
int cs_dimc_add(struct cs_dimc *d, struct cs_dimc_row *out);
int cs_dimc_added(struct cs_dimc *d, const char *s, size_t len, struct cs_error *err);
void cs_dimc_dirty(struct cs_dimc *d, const struct cs_dimc_row *r);
/* cs_dimc_changed() - whether cs_dimc_put() has anything to write. */
bool cs_dimc_changed(const struct cs_dimc *d);
/* cs_dimc_put() - the changed chunks and the new rows into the session (see above). The
 * batches move to the session: d is only good for cs_dimc_free() afterwards. */
int cs_dimc_put(struct cs_session *s, struct cs_dimc *d, struct cs_error *err);
/* cs_session_put_dim() - a whole dimension (rows in key order) put as chunks of
 * CS_DIM_CHUNK_ROWS rows (row groups 0, 1, ...), replacing what was stored. */
int cs_session_put_dim(struct cs_session *s,
                       int table,
                       struct cs_batch *rows,
                       struct cs_error *err);

#endif
