/*
 * Which column each field of an export fills (see parse_internal.h): without a header the
 * DDL order of the visible columns, with the generated ones optional as a whole (`COPY t TO`
 * omits them, `COPY (SELECT * FROM t) TO` includes them); with a header, the header's order,
 * each name a visible column of the table, at most once.
 */
#include <stdio.h>
#include <string.h>

#include "etl/parse_internal.h"

void cs_map_ddl(const struct cs_table_def *t, struct cs_table_map *m)
{
    memset(m, 0, sizeof(*m));
    int generated = 0;
    for (int c = 0; c < t->ncols; c++) {
        const unsigned flags = t->cols[c].flags;
        if (flags & CS_COL_HIDDEN) continue;
        m->col[m->nfields++] = (int8_t)c;
        if (flags & CS_COL_GENERATED)
            generated++;
        else
            m->alt_col[m->alt_nfields++] = (int8_t)c;
    }
    if (generated == 0) m->alt_nfields = 0;
}

int cs_map_header(const struct cs_table_def *t,
                  const struct cs_field *f,
                  int nfields,
                  struct cs_table_map *m,
                  char *why)
{
    memset(m, 0, sizeof(*m));
    if (nfields > CS_MAX_COLS) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "%d columns, table %s has %d", nfields, t->name,
                       t->ncols);
        return CS_EINPUT;
    }
    bool seen[CS_MAX_COLS] = {false};
    for (int i = 0; i < nfields; i++) {
        const int c = f[i].null ? -1 : cs_schema_find_column(t, f[i].p, f[i].len);
        const int shown = (int)(f[i].len > 64 ? 64 : f[i].len);
        if (c < 0 || (t->cols[c].flags & CS_COL_HIDDEN)) {
            (void)snprintf(why, CS_VP_WHY_SIZE, "unknown column \"%.*s\"", shown, f[i].p);
            return CS_EINPUT;
        }
        if (seen[c]) {
            (void)snprintf(why, CS_VP_WHY_SIZE, "duplicate column \"%.*s\"", shown, f[i].p);
            return CS_EINPUT;
        }
        seen[c] = true;
        m->col[i] = (int8_t)c;
    }
    m->nfields = nfields;
    return CS_OK;
}
