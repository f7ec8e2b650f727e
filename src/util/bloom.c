/* bloom.c - see bloom.h. Each layer holds up to cap strings in 10 bits each with 7 probes
 * (double hashing); a full layer is kept and a new one of twice the size takes the next
 * strings, so a lookup asks every layer. */
#include "util/bloom.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define PROBES 7
#define BITS_PER 10
#define FIRST_CAP 65536

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void hashes(const char *s, uint64_t *h1, uint64_t *h2)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    *h1 = mix(h);
    *h2 = mix(*h1 ^ 0x5851f42d4c957f2dULL) | 1;
}

static bool layer_has(const dh_bloom_layer *l, uint64_t h1, uint64_t h2)
{
    for (int i = 0; i < PROBES; i++) {
        size_t bit = (size_t)(h1 + (uint64_t)i * h2) & l->mask;
        if (!(l->bits[bit / 64] & (1ULL << (bit % 64))))
            return false;
    }
    return true;
}

static size_t layer_bits(size_t cap)
{
    size_t nbits = 1;
    while (nbits < cap * BITS_PER)
        nbits *= 2;
    return nbits;
}

size_t dh_bloom_bytes(const dh_bloom *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nlayers; i++)
        n += (b->layers[i].mask + 1) / 8;
    return n;
}

bool dh_bloom_add_max(dh_bloom *b, const char *s, size_t max_bytes)
{
    dh_bloom_layer *l = b->nlayers ? &b->layers[b->nlayers - 1] : NULL;
    if ((!l || l->n >= l->cap) &&
        dh_bloom_bytes(b) + layer_bits(l ? l->cap * 2 : FIRST_CAP) / 8 > max_bytes)
        return false;
    dh_bloom_add(b, s);
    return true;
}

void dh_bloom_add(dh_bloom *b, const char *s)
{
    dh_bloom_layer *l = b->nlayers ? &b->layers[b->nlayers - 1] : NULL;
    if (!l || l->n >= l->cap) {
        size_t cap = l ? l->cap * 2 : FIRST_CAP;
        size_t nbits = layer_bits(cap);
        b->layers = dh_xrealloc(b->layers, (b->nlayers + 1) * sizeof *b->layers);
        l = &b->layers[b->nlayers++];
        l->bits = dh_xcalloc(nbits / 64, sizeof *l->bits);
        l->mask = nbits - 1;
        l->n = 0;
        l->cap = cap;
    }
    uint64_t h1, h2;
    hashes(s, &h1, &h2);
    for (int i = 0; i < PROBES; i++) {
        size_t bit = (size_t)(h1 + (uint64_t)i * h2) & l->mask;
        l->bits[bit / 64] |= 1ULL << (bit % 64);
    }
    l->n++;
}

bool dh_bloom_maybe(const dh_bloom *b, const char *s)
{
    if (!b->nlayers)
        return false;
    uint64_t h1, h2;
    hashes(s, &h1, &h2);
    for (size_t i = 0; i < b->nlayers; i++)
        if (layer_has(&b->layers[i], h1, h2))
            return true;
    return false;
}

void dh_bloom_clear(dh_bloom *b)
{
    for (size_t i = 0; i < b->nlayers; i++)
        free(b->layers[i].bits);
    free(b->layers);
    b->layers = NULL;
    b->nlayers = 0;
}
