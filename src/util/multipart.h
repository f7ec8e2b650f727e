/* multipart.h - a reader of multipart/form-data bodies (RFC 7578), for the
 * public feedback form's images. Pure: the parts point into the body, which
 * must outlive them; nothing is allocated. */
#ifndef DH_UTIL_MULTIPART_H
#define DH_UTIL_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define DH_MP_NAME_MAX 128

typedef struct dh_mpart {
    char name[DH_MP_NAME_MAX];     /* the form field's name */
    char filename[DH_MP_NAME_MAX]; /* "" for a plain field (cut to fit) */
    bool is_file;                  /* a filename="..." was given, even empty */
    const char *data;              /* into the body */
    size_t len;
} dh_mpart;

/* The boundary of a Content-Type "multipart/form-data; boundary=..."
 * (quoted or not) into out (at most 70 bytes, RFC 2046); 0, or -1 when the
 * type is not multipart/form-data or has no valid boundary. */
int dh_multipart_boundary(const char *content_type, char *out, size_t cap);

/* Splits body into at most max parts; returns their number, or -1 when the
 * body is not a well-formed multipart body with that boundary (or has more
 * than max parts). */
int dh_multipart_parse(const char *body, size_t len, const char *boundary, dh_mpart *parts,
                       int max);

#endif
