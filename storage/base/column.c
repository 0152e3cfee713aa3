/* Growable typed columns and batches (see column.h). */
#include "storage/base/column.h"

#include <stdlib.h>
#include <string.h>

void cs_col_init(struct cs_col *c, int kind)
{
    memset(c, 0, sizeof(*c));
    c->kind = (uint8_t)kind;
}

void cs_col_free(struct cs_col *c)
{
    free(c->i64);
    free(c->b8);
    free(c->fix16);
    free(c->off);
    free(c->data);
    free(c->nulls);
    cs_col_init(c, c->kind);
}

void cs_col_reset(struct cs_col *c)
{
    c->len = 0;
    c->data_len = 0;
    c->null_count = 0;
    if (c->off != NULL) c->off[0] = 0;
    if (c->nulls != NULL) {
        free(c->nulls);
        c->nulls = NULL;
    }
}

static bool grow(void **p, size_t elem, size_t n)
{
    if (n > SIZE_MAX / elem) return false;
    void *q = realloc(*p, elem * n);
    if (q == NULL) return false;
    *p = q;
    return true;
}

bool cs_col_reserve(struct cs_col *c, size_t rows, size_t data_bytes)
{
    if (rows > c->cap) {
        size_t cap = c->cap < 64 ? 64 : c->cap;
        while (cap < rows)
            cap *= 2;
        bool ok = true;
        switch (c->kind) {
        case CS_K_I64:
            ok = grow((void **)&c->i64, sizeof(int64_t), cap);
            break;
        case CS_K_BOOL:
            ok = grow((void **)&c->b8, 1, cap);
            break;
        case CS_K_FIX16:
            ok = grow((void **)&c->fix16, 16, cap);
            break;
        case CS_K_STR:
            ok = grow((void **)&c->off, sizeof(uint64_t), cap + 1);
            if (ok && c->len == 0) c->off[0] = 0;
            break;
        default:
            return false;
        }
        if (ok && c->nulls != NULL) ok = grow((void **)&c->nulls, 1, cap);
        if (!ok) return false;
        c->cap = cap;
    }
    if (c->kind == CS_K_STR) {
        if (c->off == NULL && !cs_col_reserve(c, 64, 0)) return false;
        if (data_bytes > c->data_cap) {
            size_t cap = c->data_cap < 256 ? 256 : c->data_cap;
            while (cap < data_bytes)
                cap *= 2;
            if (!grow((void **)&c->data, 1, cap)) return false;
            c->data_cap = cap;
        }
    }
    return true;
}

static bool room(struct cs_col *c, size_t extra_bytes)
{
    if (c->len + 1 > c->cap && !cs_col_reserve(c, c->len + 1, 0)) return false;
    if (c->kind == CS_K_STR && !cs_col_reserve(c, c->len + 1, c->data_len + extra_bytes))
        return false;
    return true;
}

static void mark_valid(struct cs_col *c)
{
    if (c->nulls != NULL) c->nulls[c->len] = 0;
}

bool cs_col_push_i64(struct cs_col *c, int64_t v)
{
    if (!room(c, 0)) return false;
    mark_valid(c);
    c->i64[c->len++] = v;
    return true;
}

bool cs_col_push_bool(struct cs_col *c, bool v)
{
    if (!room(c, 0)) return false;
    mark_valid(c);
    c->b8[c->len++] = v ? 1 : 0;
    return true;
}

bool cs_col_push_str(struct cs_col *c, const char *s, size_t len)
{
    if (!room(c, len)) return false;
    mark_valid(c);
    if (len > 0) memcpy(c->data + c->data_len, s, len);
    c->data_len += len;
    c->off[++c->len] = c->data_len;
    return true;
}

bool cs_col_push_fix16(struct cs_col *c, const uint8_t v[16])
{
    if (!room(c, 0)) return false;
    mark_valid(c);
    memcpy(c->fix16 + 16 * c->len, v, 16);
    c->len++;
    return true;
}

bool cs_col_push_null(struct cs_col *c)
{
    if (!room(c, 0)) return false;
    if (c->nulls == NULL) {
        c->nulls = calloc(c->cap, 1);
        if (c->nulls == NULL) return false;
    }
    switch (c->kind) {
    case CS_K_I64:
        c->i64[c->len] = 0;
        break;
    case CS_K_BOOL:
        c->b8[c->len] = 0;
        break;
    case CS_K_FIX16:
        memset(c->fix16 + 16 * c->len, 0, 16);
        break;
    case CS_K_STR:
        c->off[c->len + 1] = c->data_len;
        break;
    default:
        break;
    }
    c->nulls[c->len++] = 1;
    c->null_count++;
    return true;
}

bool cs_col_push_from(struct cs_col *c, const struct cs_col *src, size_t row)
{
    if (cs_col_is_null(src, row)) return cs_col_push_null(c);
    switch (src->kind) {
    case CS_K_I64:
        return cs_col_push_i64(c, src->i64[row]);
    case CS_K_BOOL:
        return cs_col_push_bool(c, src->b8[row] != 0);
    case CS_K_FIX16:
        return cs_col_push_fix16(c, src->fix16 + 16 * row);
    case CS_K_STR: {
        size_t len;
        const char *s = cs_col_str(src, row, &len);
        return cs_col_push_str(c, s, len);
    }
    default:
        return false;
    }
}

bool cs_col_equal_at(const struct cs_col *x, size_t a, const struct cs_col *y, size_t b)
{
    bool xn = cs_col_is_null(x, a), yn = cs_col_is_null(y, b);
    if (xn || yn) return xn == yn;
    switch (x->kind) {
    case CS_K_I64:
        return x->i64[a] == y->i64[b];
    case CS_K_BOOL:
        return x->b8[a] == y->b8[b];
    case CS_K_FIX16:
        return memcmp(x->fix16 + 16 * a, y->fix16 + 16 * b, 16) == 0;
    case CS_K_STR: {
        size_t la, lb;
        const char *sa = cs_col_str(x, a, &la);
        const char *sb = cs_col_str(y, b, &lb);
        return la == lb && (la == 0 || memcmp(sa, sb, la) == 0);
    }
    default:
        return false;
    }
}

void cs_batch_init(struct cs_batch *b, const struct cs_table_def *t)
{
    memset(b, 0, sizeof(*b));
    b->table = t;
    for (int i = 0; i < t->ncols; i++)
        cs_col_init(&b->cols[i], cs_type_kind(t->cols[i].type));
}

void cs_batch_free(struct cs_batch *b)
{
    if (b->table != NULL) {
        for (int i = 0; i < b->table->ncols; i++)
            cs_col_free(&b->cols[i]);
    }
    free(b->line_no);
    b->line_no = NULL;
    b->line_cap = 0;
    b->rows = 0;
}

void cs_batch_reset(struct cs_batch *b)
{
    for (int i = 0; i < b->table->ncols; i++)
        cs_col_reset(&b->cols[i]);
    b->rows = 0;
}

bool cs_batch_push_row_from(struct cs_batch *b, const struct cs_batch *src, size_t row)
{
    for (int i = 0; i < b->table->ncols; i++) {
        if (!cs_col_push_from(&b->cols[i], &src->cols[i], row)) return false;
    }
    if (src->line_no != NULL || b->line_no != NULL) {
        if (b->rows + 1 > b->line_cap) {
            size_t cap = b->line_cap < 64 ? 64 : 2 * b->line_cap;
            while (cap < b->rows + 1)
                cap *= 2;
            uint64_t *p = realloc(b->line_no, cap * sizeof(*p));
            if (p == NULL) return false;
            memset(p + b->line_cap, 0, (cap - b->line_cap) * sizeof(*p));
            b->line_no = p;
            b->line_cap = cap;
        }
        b->line_no[b->rows] = src->line_no != NULL ? src->line_no[row] : 0;
    }
    b->rows++;
    return true;
}

static bool append_nulls(struct cs_col *c, const struct cs_col *src, size_t from, size_t n)
{
    size_t src_nulls = 0;
    if (src->nulls != NULL) {
        for (size_t i = 0; i < n; i++)
            src_nulls += src->nulls[from + i];
    }
    if (src_nulls > 0 && c->nulls == NULL) {
        c->nulls = calloc(c->cap, 1);
        if (c->nulls == NULL) return false;
    }
    if (c->nulls != NULL) {
        if (src_nulls > 0)
            memcpy(c->nulls + c->len, src->nulls + from, n);
        else
            memset(c->nulls + c->len, 0, n);
    }
    c->null_count += src_nulls;
    return true;
}

bool cs_col_append_range(struct cs_col *c, const struct cs_col *src, size_t from, size_t n)
{
    if (n == 0) return true;
    size_t bytes = 0;
    if (c->kind == CS_K_STR) bytes = (size_t)(src->off[from + n] - src->off[from]);
    if (!cs_col_reserve(c, c->len + n, c->data_len + bytes)) return false;
    if (!append_nulls(c, src, from, n)) return false;
    switch (c->kind) {
    case CS_K_I64:
        memcpy(c->i64 + c->len, src->i64 + from, n * sizeof(int64_t));
        break;
    case CS_K_BOOL:
        memcpy(c->b8 + c->len, src->b8 + from, n);
        break;
    case CS_K_FIX16:
        memcpy(c->fix16 + 16 * c->len, src->fix16 + 16 * from, 16 * n);
        break;
    case CS_K_STR: {
        const uint64_t base = src->off[from];
        if (bytes > 0) memcpy(c->data + c->data_len, src->data + base, bytes);
        for (size_t i = 1; i <= n; i++)
            c->off[c->len + i] = c->data_len + (src->off[from + i] - base);
        c->data_len += bytes;
        break;
    }
    default:
        return false;
    }
    c->len += n;
    return true;
}

bool cs_batch_append_range(struct cs_batch *b, const struct cs_batch *src, size_t from, size_t n)
{
    for (int i = 0; i < b->table->ncols; i++) {
        if (!cs_col_append_range(&b->cols[i], &src->cols[i], from, n)) return false;
    }
    if (src->line_no != NULL || b->line_no != NULL) {
        if (b->rows + n > b->line_cap) {
            size_t cap = b->line_cap < 64 ? 64 : 2 * b->line_cap;
            while (cap < b->rows + n)
                cap *= 2;
            uint64_t *p = realloc(b->line_no, cap * sizeof(*p));
            if (p == NULL) return false;
            memset(p + b->line_cap, 0, (cap - b->line_cap) * sizeof(*p));
            b->line_no = p;
            b->line_cap = cap;
        }
        if (src->line_no != NULL)
            memcpy(b->line_no + b->rows, src->line_no + from, n * sizeof(uint64_t));
        else
            memset(b->line_no + b->rows, 0, n * sizeof(uint64_t));
    }
    b->rows += n;
    return true;
}
