/* strmap.h - a map from strings to strings (open addressing, FNV-1a),
 * for the bulk paths that decide in memory what a batch would have asked
 * the database row by row: who holds an event key, a receipt's content.
 *
 * Ownership: the map owns copies of every key and value it is given;
 * dh_strmap_get's answer is borrowed until the map changes or is freed.
 * Zero-initialise (dh_strmap m = {0};) and release with dh_strmap_free. */
#ifndef DH_STRMAP_H
#define DH_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit FNV-1a hash of s (the map's, for others' tables of strings). */
uint64_t dh_hash_str(const char *s);

typedef struct dh_strmap {
    char **key, **val;
    size_t cap, n;
} dh_strmap;

/* Sets key's value (replacing an earlier one). */
void dh_strmap_put(dh_strmap *m, const char *key, const char *val);
/* key's value, or NULL. */
const char *dh_strmap_get(const dh_strmap *m, const char *key);
void dh_strmap_free(dh_strmap *m);

#endif
