/*
 * Predicates of the table scan: construction, checking against a table, evaluation a vector
 * at a time in three-valued logic, and the zone-map test that skips partitions.
 *
 * Truth values are bytes ordered FALSE < UNKNOWN < TRUE, so AND is a byte-wise minimum, OR a
 * maximum and NOT is 2 - x: SQL's three-valued logic without branches. A comparison yields
 * TRUE or FALSE for a non-NULL value and UNKNOWN for NULL; a row passes when the whole tree is
 * TRUE (WHERE's rule).
 */
#include "query/scan_int.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"

int cs_scan_col_kind(const struct cs_column_def *c)
{
    return c->type == CS_TY_HASH16 ? CS_K_STR : cs_type_kind(c->type);
}

/* ---- construction ---- */

static struct cs_scan_pred *node(int op)
{
    struct cs_scan_pred *p = calloc(1, sizeof(*p));
    if (p != NULL) p->op = (uint8_t)op;
    return p;
}

struct cs_scan_pred *cs_scan_pred_const(int truth)
{
    struct cs_scan_pred *p = node(CS_SCAN_CONST);
    if (p != NULL) p->truth = (uint8_t)truth;
    return p;
}

struct cs_scan_pred *cs_scan_pred_cmp_i64(int col, int cmp, int64_t k)
{
    struct cs_scan_pred *p = node(CS_SCAN_CMP);
    if (p == NULL) return NULL;
    p->col = col;
    p->cmp = (uint8_t)cmp;
    p->k = k;
    return p;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d == NULL) return NULL;
    if (len > 0) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

struct cs_scan_pred *cs_scan_pred_cmp_str(int col, int cmp, const char *s, size_t len)
{
    struct cs_scan_pred *p = node(CS_SCAN_CMP);
    if (p == NULL) return NULL;
    p->col = col;
    p->cmp = (uint8_t)cmp;
    p->s = dup_bytes(s, len);
    p->len = len;
    if (p->s == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

struct cs_scan_pred *cs_scan_pred_in_i64(int col, const int64_t *v, size_t n, bool in_null)
{
    struct cs_scan_pred *p = node(CS_SCAN_IN);
    if (p == NULL) return NULL;
    p->col = col;
    p->in_null = in_null;
    p->ik = malloc((n ? n : 1) * sizeof(*p->ik));
    if (p->ik == NULL) {
        free(p);
        return NULL;
    }
    if (n > 0) memcpy(p->ik, v, n * sizeof(*v));
    qsort(p->ik, n, sizeof(*p->ik), cmp_i64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || p->ik[m - 1] != p->ik[i]) p->ik[m++] = p->ik[i];
    }
    p->nk = m;
    return p;
}

struct cs_scan_pred *
cs_scan_pred_in_str(int col, const char *const *s, const size_t *len, size_t n, bool in_null)
{
    struct cs_scan_pred *p = node(CS_SCAN_IN);
    if (p == NULL) return NULL;
    p->col = col;
    p->in_null = in_null;
    p->sk = calloc(n ? n : 1, sizeof(*p->sk));
    p->sklen = calloc(n ? n : 1, sizeof(*p->sklen));
    bool ok = p->sk != NULL && p->sklen != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        p->sk[i] = dup_bytes(s[i], len[i]);
        p->sklen[i] = len[i];
        p->nk = i + 1;
        ok = p->sk[i] != NULL;
    }
    if (!ok) {
        cs_scan_pred_free(p);
        return NULL;
    }
    return p;
}

struct cs_scan_pred *cs_scan_pred_is_null(int col)
{
    struct cs_scan_pred *p = node(CS_SCAN_IS_NULL);
    if (p != NULL) p->col = col;
    return p;
}

struct cs_scan_pred *cs_scan_pred_bool(int col)
{
    struct cs_scan_pred *p = node(CS_SCAN_BOOL);
    if (p != NULL) p->col = col;
    return p;
}

struct cs_scan_pred *cs_scan_pred_logic(int op, struct cs_scan_pred **args, size_t n)
{
    struct cs_scan_pred *p = node(op);
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    if (p != NULL) p->args = malloc((n ? n : 1) * sizeof(*p->args));
    if (p == NULL || p->args == NULL) {
        for (size_t i = 0; i < n; i++)
            cs_scan_pred_free(args[i]);
        free(p);
        return NULL;
    }
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    if (n > 0) memcpy(p->args, args, n * sizeof(*args));
    p->nargs = n;
    return p;
}

void cs_scan_pred_free(struct cs_scan_pred *p)
{
    if (p == NULL) return;
    for (size_t i = 0; i < p->nargs; i++)
        cs_scan_pred_free(p->args[i]);
    free(p->args);
    for (size_t i = 0; p->sk != NULL && i < p->nk; i++)
        free(p->sk[i]);
    free(p->sk);
    free(p->sklen);
    free(p->ik);
    free(p->s);
    free(p);
}

/* ---- checking ---- */

static int check_col(const struct cs_table_def *t, int col, struct cs_error *err)
{
    if (col < 0 || col >= t->ncols || (t->cols[col].flags & CS_COL_HIDDEN))
        return cs_error_set(err, CS_EINVAL, "%s: predicate on column %d, which does not exist",
                            t->name, col);
    return CS_OK;
}

static int
check_leaf(const struct cs_table_def *t, const struct cs_scan_pred *p, struct cs_error *err)
{
    int rc = check_col(t, p->col, err);
    if (rc != CS_OK) return rc;
    const struct cs_column_def *c = &t->cols[p->col];
    const int kind = cs_scan_col_kind(c);
    if (p->op == CS_SCAN_IS_NULL) return CS_OK;
    if (p->op == CS_SCAN_BOOL) {
        if (c->type != CS_TY_BOOL)
            return cs_error_set(err, CS_EINVAL, "%s.%s: not a boolean column", t->name, c->name);
        return CS_OK;
    }
    if (c->type == CS_TY_JSONB || c->type == CS_TY_TEXT_ARRAY)
        return cs_error_set(err, CS_EINVAL, "%s.%s: only IS NULL applies to a %s column", t->name,
                            c->name, c->type == CS_TY_JSONB ? "jsonb" : "text[]");
    if (p->op == CS_SCAN_CMP && p->cmp > CS_CMP_GE)
        return cs_error_set(err, CS_EINVAL, "%s.%s: unknown comparison %d", t->name, c->name,
                            p->cmp);
    const bool text_const = p->op == CS_SCAN_CMP ? p->s != NULL : p->sk != NULL;
    if (text_const != (kind == CS_K_STR))
        return cs_error_set(err, CS_EINVAL, "%s.%s: constant of the wrong type", t->name, c->name);
    return CS_OK;
}

int cs_scan_pred_check(const struct cs_table_def *t,
                       const struct cs_scan_pred *p,
                       struct cs_error *err)
{
    if (p == NULL) return cs_error_set(err, CS_EINVAL, "%s: empty predicate node", t->name);
    switch (p->op) {
    case CS_SCAN_CONST:
        if (p->truth > CS_TRUE)
            return cs_error_set(err, CS_EINVAL, "%s: bad truth value %d", t->name, p->truth);
        return CS_OK;
    case CS_SCAN_CMP:
    case CS_SCAN_IN:
    case CS_SCAN_IS_NULL:
    case CS_SCAN_BOOL:
        return check_leaf(t, p, err);
    case CS_SCAN_AND:
    case CS_SCAN_OR:
    case CS_SCAN_NOT:
        if (p->nargs == 0 || (p->op == CS_SCAN_NOT && p->nargs != 1))
            return cs_error_set(err, CS_EINVAL, "%s: %s with %zu operands", t->name,
                                p->op == CS_SCAN_NOT   ? "NOT"
                                : p->op == CS_SCAN_AND ? "AND"
                                                       : "OR",
                                p->nargs);
        for (size_t i = 0; i < p->nargs; i++) {
            const int rc = cs_scan_pred_check(t, p->args[i], err);
            if (rc != CS_OK) return rc;
        }
        return CS_OK;
    default:
        return cs_error_set(err, CS_EINVAL, "%s: unknown predicate kind %d", t->name, p->op);
    }
}

size_t cs_scan_pred_depth(const struct cs_scan_pred *p)
{
    size_t d = 0;
    for (size_t i = 0; i < p->nargs; i++) {
        const size_t c = cs_scan_pred_depth(p->args[i]);
        if (c > d) d = c;
    }
    return d + 1;
}

size_t cs_scan_pred_leaves(const struct cs_scan_pred *p)
{
    if (p->nargs == 0) return p->op == CS_SCAN_CONST ? 0 : 1;
    size_t n = 0;
    for (size_t i = 0; i < p->nargs; i++)
        n += cs_scan_pred_leaves(p->args[i]);
    return n;
}

void cs_scan_pred_cols(const struct cs_scan_pred *p, bool *used)
{
    if (p->op == CS_SCAN_CMP || p->op == CS_SCAN_IN || p->op == CS_SCAN_IS_NULL ||
        p->op == CS_SCAN_BOOL)
        used[p->col] = true;
    for (size_t i = 0; i < p->nargs; i++)
        cs_scan_pred_cols(p->args[i], used);
}

/* ---- rescaling numeric constants ---- */

__extension__ typedef __int128 i128;

static i128 pow10_i128(int e)
{
    i128 r = 1;
    for (int i = 0; i < e; i++)
        r *= 10;
    return r;
}

/* Always TRUE / always FALSE for a non-NULL value, still UNKNOWN for NULL. */
static void set_always(bool truth, int *cmp, int64_t *k)
{
    *cmp = truth ? CS_CMP_GE : CS_CMP_LT;
    *k = INT64_MIN;
}

void cs_scan_rescale(int64_t v, int vscale, int cscale, int *cmp, int64_t *k)
{
    if (vscale <= cscale) {
        const i128 x = (i128)v * pow10_i128(cscale - vscale);
        if (x >= INT64_MIN && x <= INT64_MAX) {
            *k = (int64_t)x;
            return;
        }
        /* beyond every stored value: x > all of them when positive */
        const bool above = x > 0;
        switch (*cmp) {
        case CS_CMP_EQ:
            set_always(false, cmp, k);
            return;
        case CS_CMP_NE:
            set_always(true, cmp, k);
            return;
        case CS_CMP_LT:
        case CS_CMP_LE:
            set_always(above, cmp, k);
            return;
        default:
            set_always(!above, cmp, k);
            return;
        }
    }
    const i128 d = pow10_i128(vscale - cscale);
    i128 q = (i128)v / d, r = (i128)v % d;
    if (r < 0) { /* floor division */
        q -= 1;
        r += d;
    }
    *k = (int64_t)q;
    if (r == 0) return;
    /* the constant lies strictly between q and q + 1 in the column's units */
    switch (*cmp) {
    case CS_CMP_EQ:
        set_always(false, cmp, k);
        return;
    case CS_CMP_NE:
        set_always(true, cmp, k);
        return;
    case CS_CMP_LT:
    case CS_CMP_LE:
        *cmp = CS_CMP_LE;
        return;
    default:
        *cmp = CS_CMP_GT;
        return;
    }
}

/* ---- evaluation ---- */

static inline uint8_t tv(bool b)
{
    return (uint8_t)(b ? CS_TRUE : CS_FALSE);
}

static void cmp_i64_vec(const int64_t *v, size_t n, int cmp, int64_t k, uint8_t *out)
{
    switch (cmp) {
    case CS_CMP_EQ:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] == k) << 1);
        break;
    case CS_CMP_NE:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] != k) << 1);
        break;
    case CS_CMP_LT:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] < k) << 1);
        break;
    case CS_CMP_LE:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] <= k) << 1);
        break;
    case CS_CMP_GT:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] > k) << 1);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((v[i] >= k) << 1);
        break;
    }
}

static void cmp_u8_vec(const uint8_t *v, size_t n, int cmp, int64_t k, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        const int64_t x = v[i];
        bool b;
        switch (cmp) {
        case CS_CMP_EQ:
            b = x == k;
            break;
        case CS_CMP_NE:
            b = x != k;
            break;
        case CS_CMP_LT:
            b = x < k;
            break;
        case CS_CMP_LE:
            b = x <= k;
            break;
        case CS_CMP_GT:
            b = x > k;
            break;
        default:
            b = x >= k;
            break;
        }
        out[i] = tv(b);
    }
}

static bool cmp_holds(int c, int cmp)
{
    switch (cmp) {
    case CS_CMP_EQ:
        return c == 0;
    case CS_CMP_NE:
        return c != 0;
    case CS_CMP_LT:
        return c < 0;
    case CS_CMP_LE:
        return c <= 0;
    case CS_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* memcmp() that takes the NULL data pointer of a column of empty strings. */
static int bytes_cmp(const char *a, const char *b, size_t n)
{
    return n == 0 ? 0 : memcmp(a, b, n);
}

/* Bytewise comparison (COLLATE "C"). */
static int str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const int c = bytes_cmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return (alen > blen) - (alen < blen);
}

static void cmp_str_vec(
    const struct cs_col *c, size_t from, size_t n, const struct cs_scan_pred *p, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = cs_col_str(c, from + i, &len);
        if (p->cmp == CS_CMP_EQ || p->cmp == CS_CMP_NE) {
            const bool eq = len == p->len && bytes_cmp(s, p->s, len) == 0;
            out[i] = tv(eq == (p->cmp == CS_CMP_EQ));
        } else {
            out[i] = tv(cmp_holds(str_cmp(s, len, p->s, p->len), p->cmp));
        }
    }
}

static bool in_sorted(const int64_t *k, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (k[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && k[lo] == x;
}

static void
in_vec(const struct cs_col *c, size_t from, size_t n, const struct cs_scan_pred *p, uint8_t *out)
{
    const uint8_t miss = p->in_null ? CS_UNKNOWN : CS_FALSE;
    for (size_t i = 0; i < n; i++) {
        bool hit = false;
        if (c->kind == CS_K_STR) {
            size_t len;
            const char *s = cs_col_str(c, from + i, &len);
            for (size_t j = 0; j < p->nk && !hit; j++)
                hit = p->sklen[j] == len && bytes_cmp(p->sk[j], s, len) == 0;
        } else {
            const int64_t x = c->kind == CS_K_BOOL ? c->b8[from + i] : c->i64[from + i];
            hit = in_sorted(p->ik, p->nk, x);
        }
        out[i] = hit ? (uint8_t)CS_TRUE : miss;
    }
}

/* NULL rows of c become UNKNOWN. */
static void nulls_unknown(const struct cs_col *c, size_t from, size_t n, uint8_t *out)
{
    if (c->nulls == NULL) return;
    const uint8_t *nl = c->nulls + from;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((out[i] & (uint8_t)(nl[i] - 1u)) | nl[i]);
}

static void
eval_leaf(const struct cs_scan_pred *p, const struct cs_col *c, size_t from, size_t n, uint8_t *out)
{
    switch (p->op) {
    case CS_SCAN_IS_NULL:
        if (c->nulls == NULL) {
            memset(out, CS_FALSE, n);
        } else {
            for (size_t i = 0; i < n; i++)
                out[i] = (uint8_t)(c->nulls[from + i] << 1);
        }
        return;
    case CS_SCAN_BOOL:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(c->b8[from + i] << 1);
        break;
    case CS_SCAN_IN:
        in_vec(c, from, n, p, out);
        break;
    default:
        if (c->kind == CS_K_STR)
            cmp_str_vec(c, from, n, p, out);
        else if (c->kind == CS_K_BOOL)
            cmp_u8_vec(c->b8 + from, n, p->cmp, p->k, out);
        else
            cmp_i64_vec(c->i64 + from, n, p->cmp, p->k, out);
        break;
    }
    nulls_unknown(c, from, n, out);
}

void cs_scan_pred_eval(const struct cs_scan_pred *p,
                       const struct cs_col *const *cols,
                       size_t from,
                       size_t n,
                       uint8_t *out,
                       uint8_t *scratch)
{
    switch (p->op) {
    case CS_SCAN_CONST:
        memset(out, p->truth, n);
        return;
    case CS_SCAN_NOT:
        cs_scan_pred_eval(p->args[0], cols, from, n, out, scratch);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(CS_TRUE - out[i]);
        return;
    case CS_SCAN_AND:
    case CS_SCAN_OR:
        cs_scan_pred_eval(p->args[0], cols, from, n, out, scratch);
        for (size_t a = 1; a < p->nargs; a++) {
            cs_scan_pred_eval(p->args[a], cols, from, n, scratch, scratch + CS_VECTOR_SIZE);
            if (p->op == CS_SCAN_AND) {
                for (size_t i = 0; i < n; i++)
                    out[i] = out[i] < scratch[i] ? out[i] : scratch[i];
            } else {
                for (size_t i = 0; i < n; i++)
                    out[i] = out[i] > scratch[i] ? out[i] : scratch[i];
            }
        }
        return;
    default:
        eval_leaf(p, cols[p->col], from, n, out);
        return;
    }
}

/* ---- zone maps ---- */

static int negate(int cmp)
{
    static const int neg[] = {CS_CMP_NE, CS_CMP_EQ, CS_CMP_GE, CS_CMP_GT, CS_CMP_LE, CS_CMP_LT};
    return neg[cmp];
}

/* Whether some x in [lo, hi] satisfies x <cmp> k. */
static bool range_may(int64_t lo, int64_t hi, int cmp, int64_t k)
{
    switch (cmp) {
    case CS_CMP_EQ:
        return lo <= k && k <= hi;
    case CS_CMP_NE:
        return !(lo == k && hi == k);
    case CS_CMP_LT:
        return lo < k;
    case CS_CMP_LE:
        return lo <= k;
    case CS_CMP_GT:
        return hi > k;
    default:
        return hi >= k;
    }
}

static bool in_may(const struct cs_scan_pred *p, int64_t lo, int64_t hi, bool want_true)
{
    if (!want_true) return !(lo == hi && in_sorted(p->ik, p->nk, lo));
    size_t a = 0, b = p->nk; /* first element >= lo */
    while (a < b) {
        const size_t mid = a + (b - a) / 2;
        if (p->ik[mid] < lo) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    return a < p->nk && p->ik[a] <= hi;
}

static int leaf_may(const struct cs_scan_pred *p,
                    int want,
                    const struct cs_scan_zone *z,
                    bool *may,
                    struct cs_error *err)
{
    struct cs_seg_stats st;
    const int rc = z->stats(z->ctx, p->col, &st, err);
    if (rc != CS_OK) return rc;
    const bool some_value = st.rows > st.null_count;
    if (p->op == CS_SCAN_IS_NULL) {
        *may = want == CS_TRUE ? st.null_count > 0 : some_value;
        return CS_OK;
    }
    *may = some_value;
    /* min/max are kept for integer-like and boolean columns only */
    const int type = z->t->cols[p->col].type;
    const int kind = cs_type_kind(type);
    if (!some_value || (kind != CS_K_I64 && kind != CS_K_BOOL)) return CS_OK;
    const bool t = want == CS_TRUE;
    switch (p->op) {
    case CS_SCAN_CMP:
        *may = range_may(st.min, st.max, t ? p->cmp : negate(p->cmp), p->k);
        break;
    case CS_SCAN_IN:
        *may = in_may(p, st.min, st.max, t);
        break;
    case CS_SCAN_BOOL:
        *may = t ? st.max == 1 : st.min == 0;
        break;
    default:
        break;
    }
    return CS_OK;
}

int cs_scan_pred_may(const struct cs_scan_pred *p,
                     int want,
                     const struct cs_scan_zone *z,
                     bool *may,
                     struct cs_error *err)
{
    switch (p->op) {
    case CS_SCAN_CONST:
        *may = p->truth == want;
        return CS_OK;
    case CS_SCAN_NOT:
        return cs_scan_pred_may(p->args[0], CS_TRUE + CS_FALSE - want, z, may, err);
    case CS_SCAN_AND:
    case CS_SCAN_OR: {
        /* AND is TRUE only if every operand may be; FALSE if any may be (OR: the reverse) */
        const bool every = (p->op == CS_SCAN_AND) == (want == CS_TRUE);
        for (size_t i = 0; i < p->nargs; i++) {
            bool m = true;
            const int rc = cs_scan_pred_may(p->args[i], want, z, &m, err);
            if (rc != CS_OK) return rc;
            if (every && !m) {
                *may = false;
                return CS_OK;
            }
            if (!every && m) {
                *may = true;
                return CS_OK;
            }
        }
        *may = every;
        return CS_OK;
    }
    default:
        return leaf_may(p, want, z, may, err);
    }
}
