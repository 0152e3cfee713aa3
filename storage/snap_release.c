/*
 * Giving mapped pages back: a long load reads the days it touches of the other fact tables
 * (to refresh their daily aggregates); without this, every page it read would stay in its
 * resident set until the snapshot closes. The data stays in the page cache; the next read of
 * the partition faults it back in.
 */
#include "storage/store_int.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

void cs_snap_release_part(struct cs_snap *snap, int table, size_t i)
{
    if (i >= cs_snap_part_count(snap, table)) return;
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table] + i];
    const uint8_t *blk = NULL;
    const char *file = NULL;
    char path[CS_PATH_MAX];
    if (cs_snap_block(snap, p, &blk, &file, path, NULL) != CS_OK) return;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    /* only whole pages inside the block: its neighbours may still be in use */
    uintptr_t lo = ((uintptr_t)blk + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)blk + (uintptr_t)p->len) & ~(page - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}
