/* psql --csv output of a result (see format.h). */
#include "query/format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/pgtext.h"

/* Output is assembled in a buffer and written in large blocks: a stdio call per field (each
 * taking the stream's lock) cost more than the formatting. */
struct csv_out {
    FILE *f;
    size_t len;
    bool failed;
    char buf[1 << 16];
};

static void out_flush(struct csv_out *o)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) o->failed = true;
    o->len = 0;
}

static void out_put(struct csv_out *o, const char *s, size_t len)
{
    while (len > 0) {
        if (o->len == sizeof(o->buf)) out_flush(o);
        const size_t room = sizeof(o->buf) - o->len;
        const size_t k = len < room ? len : room;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        len -= k;
    }
}

static void out_char(struct csv_out *o, char c)
{
    if (o->len == sizeof(o->buf)) out_flush(o);
    o->buf[o->len++] = c;
}

static void csv_field(struct csv_out *o, const char *s, size_t len)
{
    bool quote = len == 2 && s[0] == '\\' && s[1] == '.';
    for (size_t i = 0; i < len && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    }
    if (!quote) {
        out_put(o, s, len);
        return;
    }
    out_char(o, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') out_char(o, '"');
        out_char(o, s[i]);
    }
    out_char(o, '"');
}

int cs_result_write_csv(FILE *out, const struct cs_result *r, struct cs_error *err)
{
    struct csv_out *o = malloc(sizeof(*o));
    if (o == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory writing the result");
    o->f = out;
    o->len = 0;
    o->failed = false;
    for (size_t j = 0; j < r->ncols; j++) {
        if (j > 0) out_char(o, ',');
        csv_field(o, r->names[j], strlen(r->names[j]));
    }
    out_char(o, '\n');
    char buf[CS_FMT_MAX];
    for (size_t i = 0; i < r->rows; i++) {
        for (size_t j = 0; j < r->ncols; j++) {
            if (j > 0) out_char(o, ',');
            const char *text;
            int is_null;
            const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
            if (!is_null) csv_field(o, text, len);
        }
        out_char(o, '\n');
    }
    out_flush(o);
    const bool failed = o->failed;
    free(o);
    if (failed || fflush(out) != 0 || ferror(out)) {
        return cs_error_set(err, CS_EIO, "could not write the result: %s", strerror(errno));
    }
    return CS_OK;
}
