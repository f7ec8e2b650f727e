/* app/scopememo.c - see scopememo.h. */
#include "app/scopememo.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strmap.h"

const bool *dh_scopememo_get(dh_scopememo *m, const char *units_json, size_t n,
                             dh_scope_code_fn code_of, const void *copy, size_t *nin)
{
    uint64_t h = units_json ? dh_hash_str(units_json) : 0;
    dh_scopememo_slot *s = &m->s[h % DH_SCOPEMEMO_SLOTS];
    if (s->in && s->n == n && s->hash == h &&
        (units_json ? s->json && !strcmp(s->json, units_json) : !s->json)) {
        if (nin)
            *nin = s->nin;
        return s->in;
    }
    bool *in = dh_xcalloc(n + 1, sizeof *in);
    if (!units_json) {
        for (size_t u = 0; u < n; u++)
            in[u] = true;
    } else {
        json_t *codes = json_loads(units_json, 0, NULL);
        dh_strmap set = {0};
        size_t i;
        json_t *v;
        json_array_foreach(codes, i, v) if (json_is_string(v))
            dh_strmap_put(&set, json_string_value(v), "");
        json_decref(codes);
        for (size_t u = 0; set.n && u < n; u++)
            in[u] = dh_strmap_get(&set, code_of(copy, u)) != NULL;
        dh_strmap_free(&set);
    }
    size_t count = 0;
    for (size_t u = 0; u < n; u++)
        count += in[u];
    free(s->json);
    free(s->in);
    *s = (dh_scopememo_slot){units_json ? dh_xstrdup(units_json) : NULL, h, n, in, count};
    if (nin)
        *nin = count;
    return in;
}

void dh_scopememo_clear(dh_scopememo *m)
{
    for (int i = 0; i < DH_SCOPEMEMO_SLOTS; i++) {
        free(m->s[i].json);
        free(m->s[i].in);
    }
    memset(m, 0, sizeof *m);
}
