/* JSON output of a result: an array of objects, numbers as numbers (see format.h). */
#include "query/format.h"

#include <errno.h>
#include <string.h>

#include "storage/base/pgtext.h"

static void json_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        const unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (ch < 0x20) {
                fprintf(out, "\\u%04x", ch);
            } else {
                fputc(ch, out);
            }
        }
    }
    fputc('"', out);
}

static void json_value(FILE *out, const struct cs_result *r, size_t j, size_t i)
{
    char buf[CS_FMT_MAX];
    const char *text;
    int is_null;
    const size_t len = cs_result_value_text(r, j, i, buf, &text, &is_null);
    if (is_null) {
        fputs("null", out);
        return;
    }
    switch (r->types[j]) {
    case CS_TY_INT4:
    case CS_TY_INT8:
    case CS_TY_NUMERIC:
    case CS_TY_FLOAT8:
        if (len > 0) fwrite(text, 1, len, out);
        break;
    case CS_TY_BOOL:
        fputs(r->cols[j].b8[i] ? "true" : "false", out);
        break;
    default:
        json_string(out, text, len);
    }
}

int cs_result_write_json(FILE *out, const struct cs_result *r, struct cs_error *err)
{
    fputc('[', out);
    for (size_t i = 0; i < r->rows; i++) {
        fputs(i == 0 ? "\n  {" : ",\n  {", out);
        for (size_t j = 0; j < r->ncols; j++) {
            if (j > 0) fputs(", ", out);
            json_string(out, r->names[j], strlen(r->names[j]));
            fputs(": ", out);
            json_value(out, r, j, i);
        }
        fputc('}', out);
    }
    fputs(r->rows > 0 ? "\n]\n" : "]\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        return cs_error_set(err, CS_EIO, "could not write the result: %s", strerror(errno));
    }
    return CS_OK;
}
