/* devbody.h - the stored form of a dossier event's body (issue 20).
 *
 * An event arrives as a JSON object whose source, id, dossier, type and at
 * are also kept in columns of its row (store/dossiers.h: dh_devent_row). The
 * body column holds the canonical JSON (compact, sorted keys) without each of
 * those members whose value is exactly what the column gives back: the
 * strings as they are, at as dh_time_format_iso_vn writes it. A member written
 * otherwise (at "2026-01-05T02:00:00Z") stays in the body. Reading puts back
 * the members a body lacks, so a body stored before this form (all members
 * present) reads the same. At 50 million dossiers these members were about
 * 110 of an event's 134 bytes, 30 GB of the file. */
#ifndef DH_APP_DEVBODY_H
#define DH_APP_DEVBODY_H

#include <jansson.h>
#include <time.h>

#include "store/dossiers.h"

/* The body to store for event o, whose columns are (source, id, dossier,
 * type, at). o is left as it was (members are taken out for the dump and put
 * back, the same values). Caller frees the result; NULL when out of memory. */
char *dh_devent_body_stored(json_t *o, const char *source, const char *id, const char *dossier,
                            const char *type, time_t at);

/* The event of stored row r as a new JSON object (caller decrefs), or NULL
 * when r->body is not a JSON object. */
json_t *dh_devent_body_read(const dh_devent_row *r);

#endif
