/* memory.h - how the server process keeps its C heap from growing under
 * long mixed traffic (issue 18, point 5; docs/DEPLOY.md, "Memory").
 *
 * What bench/soak.py showed (docs/benchmarks.md, "Soak"): the memory in use
 * stays flat apart from SQLite's peaks during long reads, but what those
 * peaks and the requests free stays inside glibc's arenas (one per thread,
 * up to 8 per core), and the free memory there grew with the traffic. The
 * main bound is SQLite's page cache per connection (sq_base.c); for `serve`
 * the allocator is also told to reuse and return what is freed: */
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
