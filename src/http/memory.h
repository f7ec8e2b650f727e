/* memory.h - how the server process keeps its C heap from growing under
 * long mixed traffic (issue 18, point 5; docs/DEPLOY.md, "Memory").
 *
 * What bench/soak.py showed (docs/benchmarks.md, "Soak"): the memory in use
 * stays flat, SQLite's own stays small (its page caches are dropped by every
 * connection whenever another one commits), but the free memory kept inside
 * glibc's arenas grows: each of the server's threads gets an arena of its
 * own (up to 8 per core), large blocks (request bodies, rendered pages, page
 * caches) freed in one arena are not reused by the others, and the dynamic
 * mmap threshold moves such blocks from mmap into the arenas after the first
 * ones are freed. Hence, for `serve` only: */
#ifndef DH_HTTP_MEMORY_H
#define DH_HTTP_MEMORY_H

/* Two arenas in all (M_ARENA_MAX; the threads share them) and a fixed mmap
 * threshold of 256 KiB (M_MMAP_THRESHOLD: larger blocks are mapped on their
 * own and returned to the system when freed). glibc's own variables
 * MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_, when set, win. Call once,
 * before the threads start. */
void dh_memory_setup(void);

/* Returns the free pages of every arena to the system (malloc_trim) at most
 * once per DH_MEMORY_TRIM_SECONDS, whichever thread calls it first after
 * that; cheap otherwise (one atomic read). Called when a request ends. */
#define DH_MEMORY_TRIM_SECONDS 10
void dh_memory_trim_maybe(void);

#endif
