/* Large growable arrays (see bigbuf.h). */
#define _GNU_SOURCE /* mremap */
#include "query/bigbuf.h"

#include <stdint.h>

#include <sys/mman.h>
#include <unistd.h>

static size_t round_pages(size_t bytes)
{
    const size_t page = 4096;
    return bytes > SIZE_MAX - page ? 0 : (bytes + page - 1) & ~(page - 1);
}

void *cs_big_resize(void *p, size_t old_bytes, size_t new_bytes)
{
    const size_t len = round_pages(new_bytes);
    if (len == 0) return NULL;
    void *q;
    if (p == NULL) {
        q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
        q = mremap(p, round_pages(old_bytes), len, MREMAP_MAYMOVE);
    }
    if (q == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(q, len, MADV_HUGEPAGE); /* best effort; a moved mapping keeps it anyway */
#endif
    return q;
}

void cs_big_free(void *p, size_t bytes)
{
    if (p != NULL) (void)munmap(p, round_pages(bytes));
}
