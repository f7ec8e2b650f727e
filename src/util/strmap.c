/* strmap.c - a map from strings to strings (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strmap.h"

uint64_t dh_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t slot_of(char *const *keys, size_t cap, const char *key)
{
    size_t j = dh_hash_str(key) & (cap - 1);
    while (keys[j] && strcmp(keys[j], key) != 0)
        j = (j + 1) & (cap - 1);
    return j;
}

void dh_strmap_put(dh_strmap *m, const char *key, const char *val)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        char **k = dh_xcalloc(cap, sizeof *k), **v = dh_xcalloc(cap, sizeof *v);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->key[i])
                continue;
            size_t j = slot_of(k, cap, m->key[i]);
            k[j] = m->key[i];
            v[j] = m->val[i];
        }
        free(m->key);
        free(m->val);
        m->key = k;
        m->val = v;
        m->cap = cap;
    }
    size_t j = slot_of(m->key, m->cap, key);
    if (!m->key[j]) {
        m->key[j] = dh_xstrdup(key);
        m->n++;
    } else {
        free(m->val[j]);
    }
    m->val[j] = dh_xstrdup(val);
}

const char *dh_strmap_get(const dh_strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t j = slot_of(m->key, m->cap, key);
    return m->key[j] ? m->val[j] : NULL;
}

void dh_strmap_free(dh_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->key[i]);
        free(m->val[i]);
    }
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}
