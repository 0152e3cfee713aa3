/*
 * Stored values as PostgreSQL datums, for the scans and the pushed-down queries alike: the
 * integer units the engine keeps (days and microseconds since 1970, numerics scaled by
 * 10^scale) moved to PostgreSQL's epoch and types; text as text; jsonb and text[] through
 * PostgreSQL's own input functions (the store keeps the text they print). Datums are made in
 * the current memory context (the executor's per-tuple one).
 */
#include "fdw/fdw.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#define CS_FDW_EPOCH_DAYS 10957
#define CS_FDW_EPOCH_US   INT64CONST(946684800000000)

void cs_fdw_conv_init(struct cs_fdw_conv *conv)
{
    fmgr_info(F_JSONB_IN, &conv->json_in);
    fmgr_info(F_ARRAY_IN, &conv->array_in);
}

static Datum input_value(FmgrInfo *in, Oid ioparam, const char *s, size_t len)
{
    return InputFunctionCall(in, pnstrdup(s, (Size)len), ioparam, -1);
}

Datum cs_fdw_value_datum(struct cs_fdw_conv *conv,
                         const struct cs_fdw_col *c,
                         int64 v,
                         bool b,
                         const char *s,
                         size_t len)
{
    switch (c->kind) {
    case CS_FDW_V_INT:
        return c->pgtype == INT2OID   ? Int16GetDatum((int16)v)
               : c->pgtype == INT4OID ? Int32GetDatum((int32)v)
                                      : Int64GetDatum(v);
    case CS_FDW_V_NUMERIC:
        return NumericGetDatum(int64_div_fast_to_numeric(v, c->scale));
    case CS_FDW_V_DATE:
        return DateADTGetDatum((DateADT)(v - CS_FDW_EPOCH_DAYS));
    case CS_FDW_V_TIMESTAMPTZ:
        return TimestampTzGetDatum(v - CS_FDW_EPOCH_US);
    case CS_FDW_V_BOOL:
        return BoolGetDatum(b);
    case CS_FDW_V_JSONB:
        if (c->as_text || c->pgtype == JSONOID) /* json's storage is its text */
            return PointerGetDatum(cstring_to_text_with_len(s, (int)len));
        return input_value(&conv->json_in, InvalidOid, s, len);
    case CS_FDW_V_TEXT_ARRAY:
        if (c->as_text) return PointerGetDatum(cstring_to_text_with_len(s, (int)len));
        return input_value(&conv->array_in, TEXTOID, s, len);
    default:
        return PointerGetDatum(cstring_to_text_with_len(s, (int)len));
    }
}

Datum cs_fdw_timestamptz_datum(int64 us)
{
    return TimestampTzGetDatum(us - CS_FDW_EPOCH_US);
}
