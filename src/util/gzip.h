/* gzip.h - compressing replies (RFC 1952 gzip through zlib) and reading a
 * request's Accept-Encoding.
 *
 * Ownership: dh_gzip returns a malloc'd buffer the caller frees.
 */
#ifndef DH_GZIP_H
#define DH_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Whether an Accept-Encoding header value (NULL: absent) accepts gzip: it
 * names gzip, x-gzip or * with a q-value above 0 (RFC 9110, 12.5.3), and
 * gzip itself is not refused with q=0. */
bool dh_accepts_gzip(const char *accept_encoding);

/* Whether a reply of this Content-Type (NULL: none) is text worth
 * compressing: text/..., JSON, GeoJSON, XML, SVG. XLSX, PDF and images
 * other than SVG are compressed already. */
bool dh_gzip_compressible(const char *content_type);

/* The gzip member of n bytes at in, or NULL (and *out_len 0) when zlib
 * fails; only allocation can make it fail. */
char *dh_gzip(const void *in, size_t n, size_t *out_len);

#endif
