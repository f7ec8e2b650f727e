/* app/scopememo.h - which units of an in-memory copy (the dossier
 * aggregates' readers' copy, aggs.c; the feedback one, fbaggs.c) fall in a
 * query's scope, remembered by the scope's text.
 *
 * A scope is the JSON array of unit codes the access layer lists for a
 * request (dossread.c remembers it by registry revision, root and day, so
 * the same request gives the same text); a mega-province's lists over a
 * thousand codes, and parsing it into a set at every query cost more than
 * the query itself. A copy's units have stable indexes and are only
 * appended until the copy is cleared, so an answer stays right while the
 * copy holds as many units as when it was made.
 *
 * Ownership: the memo owns its slots and the arrays it returns; a returned
 * array is valid until the next call on the same memo or its clear. Not
 * thread-safe: the caller holds its copy's lock. Zero-initialise. */
#ifndef DH_SCOPEMEMO_H
#define DH_SCOPEMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* direct-mapped by the text's hash: a ranking of 168 communes asks for
 * each one's scope in turn, page after page */
enum { DH_SCOPEMEMO_SLOTS = 512 };

typedef struct dh_scopememo_slot {
    char *json; /* NULL: every unit, or an empty slot when in is NULL */
    uint64_t hash;
    size_t n; /* the copy's units when made */
    bool *in;
    size_t nin; /* how many of the n units are in */
} dh_scopememo_slot;

typedef struct dh_scopememo {
    dh_scopememo_slot s[DH_SCOPEMEMO_SLOTS];
} dh_scopememo;

/* The code of the copy's unit i (borrowed). */
typedef const char *(*dh_scope_code_fn)(const void *copy, size_t i);

/* in[i] for i < n: whether unit i of the copy (code_of(copy, i)) is listed
 * in units_json, a JSON array of codes (NULL: every unit is; text that is
 * not an array: none is). One extra element, in[n], is false. *nin (when
 * nin is not NULL): how many of the n units are in. */
const bool *dh_scopememo_get(dh_scopememo *m, const char *units_json, size_t n,
                             dh_scope_code_fn code_of, const void *copy, size_t *nin);

/* Forgets every slot (the copy was emptied). */
void dh_scopememo_clear(dh_scopememo *m);

#endif
