/* devbody.c - the stored form of a dossier event's body: see devbody.h. */
#include "app/devbody.h"

#include <string.h>

#include "util/date.h"

enum { NCOLS = 5 };
static const char *const col_key[NCOLS] = {"source", "id", "dossier", "type", "at"};

static void col_values(const char *v[NCOLS], char at_text[DH_TIME_ISO_VN_LEN], const char *source,
                       const char *id, const char *dossier, const char *type, time_t at)
{
    dh_time_format_iso_vn(at, at_text);
    v[0] = source;
    v[1] = id;
    v[2] = dossier;
    v[3] = type;
    v[4] = at_text;
}

char *dh_devent_body_stored(json_t *o, const char *source, const char *id, const char *dossier,
                            const char *type, time_t at)
{
    const char *v[NCOLS];
    char at_text[DH_TIME_ISO_VN_LEN];
    col_values(v, at_text, source, id, dossier, type, at);
    json_t *taken[NCOLS] = {0};
    for (int k = 0; k < NCOLS; k++) {
        json_t *m = json_object_get(o, col_key[k]);
        if (v[k] && json_is_string(m) && strcmp(json_string_value(m), v[k]) == 0) {
            taken[k] = json_incref(m);
            json_object_del(o, col_key[k]);
        }
    }
    char *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    for (int k = 0; k < NCOLS; k++)
        if (taken[k])
            json_object_set_new(o, col_key[k], taken[k]);
    return out;
}

json_t *dh_devent_body_read(const dh_devent_row *r)
{
    json_t *o = json_loads(r->body, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    const char *v[NCOLS];
    char at_text[DH_TIME_ISO_VN_LEN];
    col_values(v, at_text, r->source, r->id, r->dossier, r->type, r->at);
    for (int k = 0; k < NCOLS; k++)
        if (v[k] && !json_object_get(o, col_key[k]))
            json_object_set_new(o, col_key[k], json_string(v[k]));
    return o;
}
