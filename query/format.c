/* Value text as PostgreSQL prints it, and the format dispatch (see format.h). */
#include "query/format.h"

#include "storage/base/pgtext.h"

#include <string.h>

size_t cs_result_value_text(
    const struct cs_result *r, size_t col, size_t row, char *buf, const char **text, int *is_null)
{
    const struct cs_col *c = &r->cols[col];
    *text = buf;
    buf[0] = '\0';
    *is_null = cs_col_is_null(c, row);
    if (*is_null) return 0;
    switch (r->types[col]) {
    case CS_TY_INT4:
    case CS_TY_INT8:
        return cs_fmt_int(buf, c->i64[row]);
    case CS_TY_NUMERIC:
        return cs_fmt_numeric(buf, c->i64[row], r->scales[col]);
    case CS_TY_DATE:
        return cs_fmt_date(buf, c->i64[row]);
    case CS_TY_TIMESTAMPTZ:
        return cs_fmt_timestamptz(buf, c->i64[row]);
    case CS_TY_BOOL:
        return cs_fmt_bool(buf, c->b8[row] != 0);
    case CS_TY_HASH16:
        return cs_fmt_hash16(buf, c->fix16 + 16 * row);
    case CS_TY_FLOAT8: {
        double d;
        memcpy(&d, &c->i64[row], sizeof(d));
        return cs_fmt_float8(buf, d);
    }
    default: {
        size_t len = 0;
        *text = cs_col_str(c, row, &len);
        return len;
    }
    }
}

int cs_result_write(FILE *out, const struct cs_result *r, int fmt, struct cs_error *err)
{
    switch (fmt) {
    case CS_OUT_TABLE:
        return cs_result_write_table(out, r, err);
    case CS_OUT_CSV:
        return cs_result_write_csv(out, r, err);
    case CS_OUT_JSON:
        return cs_result_write_json(out, r, err);
    default:
        return cs_error_set(err, CS_EINVAL, "unknown output format %d", fmt);
    }
}
