/* psql --csv output of a result (see format.h). */
#include "query/format.h"

#include <errno.h>
#include <string.h>

#include "storage/base/pgtext.h"

static void csv_field(FILE *out, const char *s, size_t len)
{
    bool quote = len == 2 && s[0] == '\\' && s[1] == '.';
    for (size_t i = 0; i < len && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    }
    if (!quote) {
        if (len > 0) fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

int cs_result_write_csv(FILE *out, const struct cs_result *r, struct cs_error *err)
{
    for (size_t j = 0; j < r->ncols; j++) {
        if (j > 0) fputc(',', out);
        csv_field(out, r->names[j], strlen(r->names[j]));
    }
    fputc('\n', out);
    char buf[CS_FMT_MAX];
    for (size_t i = 0; i < r->rows; i++) {
        for (size_t j = 0; j < r->ncols; j++) {
            if (j > 0) fputc(',', out);
            const char *text;
            int is_null;
            const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
            if (!is_null) csv_field(out, text, len);
        }
        fputc('\n', out);
    }
    if (fflush(out) != 0 || ferror(out)) {
        return cs_error_set(err, CS_EIO, "could not write the result: %s", strerror(errno));
    }
    return CS_OK;
}
