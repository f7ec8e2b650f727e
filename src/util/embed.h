/* embed.h - data files compiled into the binary (see scripts/embed-files.sh).
 * Names are paths below data/, e.g. "demo/units.csv". The bytes are static
 * and NUL-terminated; callers never free them. */
#ifndef DH_EMBED_H
#define DH_EMBED_H

#include <stddef.h>

struct dh_embedded {
    const char *name;
    size_t len;
    const char *data;
};

extern const struct dh_embedded dh_embedded_files[];

/* Returns the file's bytes and sets *len, or NULL when there is no such file. */
const char *dh_embedded_get(const char *name, size_t *len);

#endif
