/* embed.c - lookup in the table of embedded data files. */
#include "util/embed.h"

#include <string.h>

const char *dh_embedded_get(const char *name, size_t *len)
{
    for (const struct dh_embedded *e = dh_embedded_files; e->name; e++) {
        if (strcmp(e->name, name) == 0) {
            if (len)
                *len = e->len;
            return e->data;
        }
    }
    if (len)
        *len = 0;
    return NULL;
}
