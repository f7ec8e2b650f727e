/* bloom.h - a set that may answer "maybe" for a string never added but never "no" for one
 * added (a Bloom filter), growing as strings are added: about 1% false "maybe"s per layer,
 * some 1.2 bytes per string. The bulk import uses it to know, without asking the database,
 * which dossiers and event keys it has not written itself. */
#ifndef DH_UTIL_BLOOM_H
#define DH_UTIL_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dh_bloom_layer {
    uint64_t *bits;
    size_t mask; /* number of bits - 1 (a power of two) */
    size_t n, cap;
} dh_bloom_layer;

typedef struct dh_bloom {
    dh_bloom_layer *layers;
    size_t nlayers;
} dh_bloom;

#define DH_BLOOM_INIT {NULL, 0}

void dh_bloom_add(dh_bloom *b, const char *s);
/* dh_bloom_add unless s needs a new layer that would bring the filter's
 * memory past max_bytes: then s is not added and the answer is false. */
bool dh_bloom_add_max(dh_bloom *b, const char *s, size_t max_bytes);
/* The bytes of bits the filter holds. */
size_t dh_bloom_bytes(const dh_bloom *b);
/* false: s was never added; true: s may have been. */
bool dh_bloom_maybe(const dh_bloom *b, const char *s);
/* Empties b and frees its memory (b can be used again). */
void dh_bloom_clear(dh_bloom *b);

#endif
