/*
 * The Parquet writer (etl/parquet_write.h) on hand-built Arrow arrays: the file's frame (PAR1,
 * footer length), and its footer read back with a small Thrift compact reader written here
 * from the specification (not the writer's code): schema elements (names, physical types,
 * repetition, the three-level list), the row count, row groups split at row_group_rows, each
 * column chunk's codec and value count, data page offsets pointing at page headers. Also the
 * refusals: a NULL in a NOT NULL column, a decimal beyond 64 bits, an unmapped type, a batch
 * of the wrong shape. Values themselves are checked by DuckDB and chdb
 * (tests/export/check_parquet.sh).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/parquet_write.h"

/* ---- a Thrift compact reader ---- */

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static uint64_t uvar(struct rd *r)
{
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        cr_assert_lt(r->i, r->n, "footer ends early");
        const uint8_t b = r->p[r->i++];
        v |= (uint64_t)(b & 0x7F) << s;
        if (!(b & 0x80)) break;
    }
    return v;
}

static int64_t zz(struct rd *r)
{
    const uint64_t u = uvar(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void skip(struct rd *r, int type);

/* next_field() - the next field's id and type, or 0 at STOP. */
static int next_field(struct rd *r, int16_t *last, int *type)
{
    const uint8_t b = r->p[r->i++];
    if (b == 0) return 0;
    *type = b & 0x0F;
    *last = (b >> 4) != 0 ? (int16_t)(*last + (b >> 4)) : (int16_t)zz(r);
    return 1;
}

static size_t list_header(struct rd *r, int *elem)
{
    const uint8_t b = r->p[r->i++];
    *elem = b & 0x0F;
    return (b >> 4) == 15 ? (size_t)uvar(r) : (size_t)(b >> 4);
}

static void skip_struct(struct rd *r)
{
    int16_t last = 0;
    int type;
    while (next_field(r, &last, &type))
        skip(r, type);
}

static void skip(struct rd *r, int type)
{
    int elem;
    switch (type) {
    case 1:
    case 2:
        break; /* bool in the type */
    case 3:
        r->i++;
        break;
    case 4:
    case 5:
    case 6:
        (void)uvar(r);
        break;
    case 7:
        r->i += 8;
        break;
    case 8:
        r->i += uvar(r);
        break;
    case 9: {
        const size_t n = list_header(r, &elem);
        for (size_t k = 0; k < n; k++) {
            if (elem == 1 || elem == 2)
                r->i++;
            else
                skip(r, elem);
        }
        break;
    }
    case 12:
        skip_struct(r);
        break;
    default:
        cr_assert_fail("unexpected compact type %d", type);
    }
}

struct schema_el {
    char name[64];
    int type, repetition, children;
};

struct meta {
    int64_t rows;
    struct schema_el el[32];
    size_t nel;
    size_t ngroups;
    int64_t group_rows[16];
    int codec[16][8];
    int64_t values[16][8], data_offset[16][8];
    size_t ncols;
};

static void read_schema_el(struct rd *r, struct schema_el *e)
{
    int16_t last = 0;
    int type;
    memset(e, 0, sizeof(*e));
    e->type = e->repetition = -1;
    while (next_field(r, &last, &type)) {
        if (last == 1 && type == 5)
            e->type = (int)zz(r);
        else if (last == 3 && type == 5)
            e->repetition = (int)zz(r);
        else if (last == 5 && type == 5)
            e->children = (int)zz(r);
        else if (last == 4 && type == 8) {
            const size_t n = (size_t)uvar(r);
            memcpy(e->name, r->p + r->i, n < 63 ? n : 63);
            r->i += n;
        } else
            skip(r, type);
    }
}

static void read_chunk(struct rd *r, struct meta *m, size_t g, size_t c)
{
    int16_t last = 0;
    int type;
    while (next_field(r, &last, &type)) {
        if (last != 3 || type != 12) {
            skip(r, type);
            continue;
        }
        int16_t l2 = 0;
        int t2;
        while (next_field(r, &l2, &t2)) {
            if (l2 == 4 && t2 == 5)
                m->codec[g][c] = (int)zz(r);
            else if (l2 == 5 && t2 == 6)
                m->values[g][c] = zz(r);
            else if (l2 == 9 && t2 == 6)
                m->data_offset[g][c] = zz(r);
            else
                skip(r, t2);
        }
    }
}

static void read_group(struct rd *r, struct meta *m, size_t g)
{
    int16_t last = 0;
    int type, elem;
    while (next_field(r, &last, &type)) {
        if (last == 1 && type == 9) {
            m->ncols = list_header(r, &elem);
            for (size_t c = 0; c < m->ncols; c++)
                read_chunk(r, m, g, c);
        } else if (last == 3 && type == 6) {
            m->group_rows[g] = zz(r);
        } else {
            skip(r, type);
        }
    }
}

static void read_footer(const uint8_t *buf, size_t len, struct meta *m)
{
    cr_assert_geq(len, 12);
    cr_assert(memcmp(buf, "PAR1", 4) == 0 && memcmp(buf + len - 4, "PAR1", 4) == 0);
    uint32_t flen;
    memcpy(&flen, buf + len - 8, 4);
    cr_assert_leq(flen, len - 12);
    struct rd r = {buf + len - 8 - flen, flen, 0};
    memset(m, 0, sizeof(*m));
    int16_t last = 0;
    int type, elem;
    while (next_field(&r, &last, &type)) {
        if (last == 2 && type == 9) {
            m->nel = list_header(&r, &elem);
            for (size_t k = 0; k < m->nel; k++)
                read_schema_el(&r, &m->el[k]);
        } else if (last == 3 && type == 6) {
            m->rows = zz(&r);
        } else if (last == 4 && type == 9) {
            m->ngroups = list_header(&r, &elem);
            for (size_t g = 0; g < m->ngroups; g++)
                read_group(&r, m, g);
        } else {
            skip(&r, type);
        }
    }
    cr_assert_eq(r.i, flen, "the footer is exactly its length");
}

/* ---- hand-built Arrow arrays ---- */

static void noop_release(struct ArrowArray *a)
{
    a->release = NULL;
}

struct cols {
    /* a: int32 nullable {7, NULL, 7, -1}; b: utf8 NOT NULL {"x","x","yy","x"};
     * c: list<utf8> {["p","q"], NULL, [], [NULL]}; d: decimal(5,2) {1.25, -0.50, 0, 999.99};
     * e: bool {t, f, t, t} */
    int32_t a[4];
    uint8_t a_valid[1];
    int32_t b_off[5];
    char b_data[8];
    int32_t c_off[5];
    uint8_t c_valid[1];
    int32_t ce_off[4];
    uint8_t ce_valid[1];
    char ce_data[4];
    int64_t d[8];
    uint8_t e[1];
    const void *ab[2], *bb[3], *cb[2], *ceb[3], *db[2], *eb[2];
    struct ArrowArray ca, cbb, cc, cce, cd, ce;
    struct ArrowArray *kids[5], *ckid[1];
    struct ArrowArray top;
    const void *topb[1];
};

static void build(struct cols *k)
{
    memset(k, 0, sizeof(*k));
    const int32_t a[] = {7, 0, 7, -1};
    memcpy(k->a, a, sizeof(a));
    k->a_valid[0] = 0x0D; /* rows 0, 2, 3 */
    const int32_t bo[] = {0, 1, 2, 4, 5};
    memcpy(k->b_off, bo, sizeof(bo));
    memcpy(k->b_data, "xxyyx", 5);
    const int32_t co[] = {0, 2, 2, 2, 3};
    memcpy(k->c_off, co, sizeof(co));
    k->c_valid[0] = 0x0D;
    const int32_t eo[] = {0, 1, 2, 2};
    memcpy(k->ce_off, eo, sizeof(eo));
    k->ce_valid[0] = 0x03;
    memcpy(k->ce_data, "pq", 2);
    const int64_t d[] = {125, 0, -50, -1, 0, 0, 99999, 0};
    memcpy(k->d, d, sizeof(d));
    k->e[0] = 0x0D;
    k->ab[0] = k->a_valid, k->ab[1] = k->a;
    k->bb[1] = k->b_off, k->bb[2] = k->b_data;
    k->cb[0] = k->c_valid, k->cb[1] = k->c_off;
    k->ceb[0] = k->ce_valid, k->ceb[1] = k->ce_off, k->ceb[2] = k->ce_data;
    k->db[1] = k->d;
    k->eb[1] = k->e;
    k->ca = (struct ArrowArray){4, 1, 0, 2, 0, k->ab, NULL, NULL, noop_release, NULL};
    k->cbb = (struct ArrowArray){4, 0, 0, 3, 0, k->bb, NULL, NULL, noop_release, NULL};
    k->cce = (struct ArrowArray){3, 1, 0, 3, 0, k->ceb, NULL, NULL, noop_release, NULL};
    k->ckid[0] = &k->cce;
    k->cc = (struct ArrowArray){4, 1, 0, 2, 1, k->cb, k->ckid, NULL, noop_release, NULL};
    k->cd = (struct ArrowArray){4, 0, 0, 2, 0, k->db, NULL, NULL, noop_release, NULL};
    k->ce = (struct ArrowArray){4, 0, 0, 2, 0, k->eb, NULL, NULL, noop_release, NULL};
    k->kids[0] = &k->ca, k->kids[1] = &k->cbb, k->kids[2] = &k->cc, k->kids[3] = &k->cd,
    k->kids[4] = &k->ce;
    k->top = (struct ArrowArray){4, 0, 0, 1, 5, k->topb, k->kids, NULL, noop_release, NULL};
}

static struct ArrowSchema f_a = {"i", "a", NULL, ARROW_FLAG_NULLABLE, 0, NULL, NULL, NULL, NULL};
static struct ArrowSchema f_b = {"u", "b", NULL, 0, 0, NULL, NULL, NULL, NULL};
static struct ArrowSchema f_item = {"u",  "item", NULL, ARROW_FLAG_NULLABLE, 0, NULL,
                                    NULL, NULL,   NULL};
static struct ArrowSchema *f_c_kids[] = {&f_item};
static struct ArrowSchema f_c = {"+l", "c",  NULL, ARROW_FLAG_NULLABLE, 1, f_c_kids,
                                 NULL, NULL, NULL};
static struct ArrowSchema f_d = {"d:5,2", "d", NULL, 0, 0, NULL, NULL, NULL, NULL};
static struct ArrowSchema f_e = {"b", "e", NULL, 0, 0, NULL, NULL, NULL, NULL};
static struct ArrowSchema *kids5[] = {&f_a, &f_b, &f_c, &f_d, &f_e};
static struct ArrowSchema schema5 = {"+s", "", NULL, 0, 5, kids5, NULL, NULL, NULL};

static uint8_t *write_file(
    const struct cs_pq_options *o, int batches, size_t *len, int *rc_out, struct cs_error *err)
{
    char path[] = "/tmp/cs_pq_test_XXXXXX";
    const int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    struct cs_pq_writer *w = NULL;
    int rc = cs_pq_open(fd, path, &schema5, o, &w, err);
    cr_assert_eq(rc, CS_OK, "%s", err->message);
    /* the writer holds the arrays until their row group is written: they must live as long */
    struct cols *ks = calloc((size_t)batches + 1, sizeof(*ks));
    for (int b = 0; b < batches && rc == CS_OK; b++) {
        build(&ks[b]);
        rc = cs_pq_write(w, &ks[b].top, err);
    }
    if (rc == CS_OK) rc = cs_pq_finish(w, NULL, err);
    cs_pq_free(w);
    free(ks);
    *rc_out = rc;
    const off_t end = lseek(fd, 0, SEEK_END);
    uint8_t *buf = malloc((size_t)end + 1);
    cr_assert_eq(pread(fd, buf, (size_t)end, 0), end);
    close(fd);
    unlink(path);
    *len = (size_t)end;
    return buf;
}

Test(parquet_write, footer_describes_the_file)
{
    struct cs_error err = {0};
    struct cs_pq_scratch *scratch = cs_pq_scratch_new();
    const struct cs_pq_options o = {CS_PQ_LZ4_RAW, 8, 0, "test", scratch};
    size_t len;
    int rc;
    uint8_t *buf = write_file(&o, 3, &len, &rc, &err); /* 12 rows, row groups of 8 */
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    struct meta m;
    read_footer(buf, len, &m);
    cr_assert_eq(m.rows, 12);
    /* root, a, b, c (LIST) / list (repeated) / element, d, e */
    cr_assert_eq(m.nel, 8);
    const char *names[] = {"schema", "a", "b", "c", "list", "element", "d", "e"};
    const int types[] = {-1, 1, 6, -1, -1, 6, 1, 0}; /* INT32, BYTE_ARRAY, INT32 decimal, BOOLEAN */
    const int reps[] = {-1, 1, 0, 1, 2, 1, 0, 0};
    for (size_t i = 0; i < 8; i++) {
        cr_assert_str_eq(m.el[i].name, names[i]);
        cr_assert_eq(m.el[i].type, types[i], "%s", names[i]);
        cr_assert_eq(m.el[i].repetition, reps[i], "%s", names[i]);
    }
    cr_assert_eq(m.el[0].children, 5);
    cr_assert_eq(m.el[3].children, 1);
    /* two batches make the first group (8 rows), the third the second */
    cr_assert_eq(m.ngroups, 2);
    cr_assert_eq(m.group_rows[0], 8);
    cr_assert_eq(m.group_rows[1], 4);
    cr_assert_eq(m.ncols, 5);
    /* values: rows, but list entries for c: ["p","q"] 2, NULL 1, [] 1, [NULL] 1 per batch */
    cr_assert_eq(m.values[0][0], 8);
    cr_assert_eq(m.values[0][2], 10);
    cr_assert_eq(m.values[1][2], 5);
    for (size_t g = 0; g < 2; g++) {
        for (size_t c = 0; c < 5; c++) {
            cr_assert(m.codec[g][c] == 0 || m.codec[g][c] == 7); /* UNCOMPRESSED or LZ4_RAW */
            /* a data page header: PageHeader's field 1 (type) = DATA_PAGE (0): 0x15 0x00 */
            const int64_t at = m.data_offset[g][c];
            cr_assert(at >= 4 && (size_t)at + 2 < len);
            cr_assert(buf[at] == 0x15 && buf[at + 1] == 0x00, "group %zu column %zu", g, c);
        }
    }
    free(buf);
    /* the same scratch serves a second file: the same bytes */
    size_t len2;
    uint8_t *again = write_file(&o, 3, &len2, &rc, &err);
    cr_assert_eq(len2, len);
    free(again);
    cs_pq_scratch_free(scratch);
}

Test(parquet_write, empty_file_has_schema_and_no_group)
{
    struct cs_error err = {0};
    size_t len;
    int rc;
    uint8_t *buf = write_file(NULL, 0, &len, &rc, &err);
    cr_assert_eq(rc, CS_OK, "%s", err.message);
    struct meta m;
    read_footer(buf, len, &m);
    cr_assert_eq(m.rows, 0);
    cr_assert_eq(m.ngroups, 0);
    cr_assert_eq(m.nel, 8);
    free(buf);
}

static int write_one(struct ArrowSchema *schema, struct ArrowArray *batch, struct cs_error *err)
{
    char path[] = "/tmp/cs_pq_test_XXXXXX";
    const int fd = mkstemp(path);
    struct cs_pq_writer *w = NULL;
    int rc = cs_pq_open(fd, path, schema, NULL, &w, err);
    if (rc == CS_OK) rc = cs_pq_write(w, batch, err);
    if (rc == CS_OK) rc = cs_pq_finish(w, NULL, err);
    cs_pq_free(w);
    close(fd);
    unlink(path);
    return rc;
}

Test(parquet_write, refusals)
{
    struct cs_error err = {0};
    struct cols k;
    /* a NULL in b, declared NOT NULL */
    build(&k);
    uint8_t bvalid = 0x0E;
    k.bb[0] = &bvalid;
    k.cbb.null_count = 1;
    cr_assert_eq(write_one(&schema5, &k.top, &err), CS_EINVAL);
    cr_assert(strstr(err.message, "b: NULL in a column declared NOT NULL") != NULL, "%s",
              err.message);
    /* a decimal whose high word is not the low word's sign */
    build(&k);
    k.d[1] = 5;
    cr_assert_eq(write_one(&schema5, &k.top, &err), CS_EINVAL);
    cr_assert(strstr(err.message, "beyond 64 bits") != NULL, "%s", err.message);
    /* a batch with a column missing */
    build(&k);
    k.top.n_children = 4;
    cr_assert_eq(write_one(&schema5, &k.top, &err), CS_EINVAL);
    /* an unmapped type, and precision beyond 18 */
    struct ArrowSchema fl = {"f", "x", NULL, 0, 0, NULL, NULL, NULL, NULL};
    struct ArrowSchema *k1[] = {&fl};
    struct ArrowSchema s1 = {"+s", "", NULL, 0, 1, k1, NULL, NULL, NULL};
    struct cs_pq_writer *w = NULL;
    cr_assert_eq(cs_pq_open(1, "x", &s1, NULL, &w, &err), CS_EINVAL);
    cr_assert(strstr(err.message, "\"f\"") != NULL, "%s", err.message);
    fl.format = "d:38,2";
    cr_assert_eq(cs_pq_open(1, "x", &s1, NULL, &w, &err), CS_EINVAL);
    cr_assert_null(w);
}
