/*
 * The nightly job (docs/contract.md): the operational exports of one night turned into warehouse rows
 * in one load session.
 *
 *   nightly.c        entry point, the four exports parsed (any byte source), the summary
 *   nightly_dims.c   the dimension policies: SCD-2 close-and-insert (dim_agent), insert-only
 *                    (dim_user), maintained counters and first/last seen (dim_conversation)
 *   nightly_facts.c  identity by operational id (source_id), agent versions by created_at,
 *                    derived columns (query_hash, resolution time, sla_met, overall_score),
 *                    surrogate keys in the contract's order (docs/contract.md), rows into their own day
 *
 * The pull (docs/contract.md, pull) feeds the same code from COPY streams.
 */
#ifndef CS_ENGINE_NIGHTLY_H
#define CS_ENGINE_NIGHTLY_H

#include "engine/dim_chunks.h"
#include "engine/hmap.h"
#include "engine/session.h"
#include "etl/parse.h"
#include "storage/dim_index.h"

enum { CS_NI_AGENTS = 0, CS_NI_QUERIES, CS_NI_APPROVALS, CS_NI_FEEDBACK, CS_NI_COUNT };

/* One parsed export: its rows (an operational table's batch), in id order through `order`. */
struct cs_night_src {
    const struct cs_table_def *t;
    struct cs_parser *parser; /* kept open: rejects name its file and line */
    struct cs_batch rows;
    uint32_t *order; /* rows by id (agents: by agent_name, bytewise) */
    uint8_t *state;  /* per row: 0 new, 1 skipped (already stored / duplicate), 2 rejected */
    bool present;
    colstore_nightly_counts counts;
};

/* dim_agent being changed by the night (SCD-2 needs every version of a name: it is small and
 * read whole): the stored rows plus appended ones; written whole at the end when changed. */
struct cs_dim_edit {
    const struct cs_table_def *t;
    struct cs_dim *dim; /* stored rows and their index; rows appended after nstored */
    size_t nstored;
    struct cs_hmap added; /* natural key of an appended row -> row (strings outlive it) */
    int64_t next_key;
    bool changed;
};

struct cs_night {
    struct cs_session *sess;
    int64_t load_time;
    uint64_t max_rejects; /* per export, for the parser (0: none) */
    struct cs_night_src src[CS_NI_COUNT];
    struct cs_dim_edit agents;
    struct cs_dimc convs, users; /* read and written a chunk at a time (dim_chunks.h) */
    struct cs_hmap time_keys;    /* dim_time keys */
    colstore_nightly_stats stats;
    struct cs_error e;
};

/* One export of the night: a file (path, "-" for stdin), memory (buf, len), or a stream (fn). */
struct cs_night_input {
    bool present;
    const char *path;
    const void *buf;
    size_t len;
    cs_read_fn fn;
    void *fn_ctx;
    const char *name; /* for messages */
    int format;       /* CS_FMT_TEXT or CS_FMT_CSV */
    bool header;
};

/* cs_nightly_run() - the night (nightly.c); stats' counters filled whatever the outcome. */
int cs_nightly_run(colstore_store *store,
                   int64_t load_time,
                   const char *rejects_path,
                   uint64_t max_rejects, /* the parser's limit per export (0: none) */
                   const struct cs_night_input in[CS_NI_COUNT],
                   colstore_nightly_stats *stats,
                   struct cs_error *e);

/* nightly_dims.c */
int cs_dim_edit_open(struct cs_night *n, int table, struct cs_dim_edit *d);
void cs_dim_edit_free(struct cs_dim_edit *d);
/* cs_dim_edit_put() - when changed, put the dimension's rows (key order) into the session. */
int cs_dim_edit_put(struct cs_night *n, struct cs_dim_edit *d);
/* cs_night_dims_open() / _put() / _free() - the three dimensions the night changes. */
int cs_night_dims_open(struct cs_night *n);
int cs_night_dims_put(struct cs_night *n);
void cs_night_dims_free(struct cs_night *n);
/* cs_night_agents() - SCD-2 of the agents export. */
int cs_night_agents(struct cs_night *n);
/* cs_night_agent_at() - the dim_agent key of agent name[0..len) valid at ts; false when the
 * name has no version at all. */
bool cs_night_agent_at(
    const struct cs_night *n, const char *name, size_t len, int64_t ts, int64_t *key, int64_t *row);
/* cs_night_conversation() - the key of conversation id[0..len), inserted when unknown; its
 * first/last seen widened to ts and counter column counter_col incremented. */
int cs_night_conversation(
    struct cs_night *n, const char *id, size_t len, int64_t ts, int counter_col, int64_t *key);
/* cs_night_user() - the key of user id[0..len), inserted as user_type when unknown. */
int cs_night_user(
    struct cs_night *n, const char *id, size_t len, const char *user_type, int64_t *key);

/* nightly_facts.c */
int cs_night_facts(struct cs_night *n);

#endif
