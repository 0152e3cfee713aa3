/*
 * Large growable arrays of the query executor (the values a percentile gathers: 12 bytes a row
 * scanned) as their own anonymous mappings, backed by transparent huge pages where the kernel
 * gives them on request, grown by mremap (pages move, nothing is copied). A query over a year
 * gathers hundreds of MB this way; through malloc at 4 KiB a page, their page faults cost more
 * than the work (and a PostgreSQL backend running the query cannot change its allocator).
 */
#ifndef CS_QUERY_BIGBUF_H
#define CS_QUERY_BIGBUF_H

#include <stddef.h>

/* cs_big_resize() - p (NULL or a buffer of old_bytes from here) resized to new_bytes > 0;
 * contents kept up to the smaller size, the rest zero. NULL when memory runs out (p is then
 * still valid). */
void *cs_big_resize(void *p, size_t old_bytes, size_t new_bytes);

/* cs_big_free() - release p (NULL: nothing), a buffer of `bytes` from cs_big_resize(). */
void cs_big_free(void *p, size_t bytes);

#endif
