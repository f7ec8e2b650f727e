/* asset.h - versions of the static files (stylesheets, script) that the
 * pages link to, so that a URL names one content and can be cached for a
 * year: /static/<version>/app.css (docs/API.md, "Static files").
 */
#ifndef DH_ASSET_H
#define DH_ASSET_H

#define DH_ASSET_TAG_LEN 12

/* The version of a static file: the first DH_ASSET_TAG_LEN hex digits of
 * the 64-bit FNV-1a hash of its bytes (content is a NUL-terminated string
 * of the program, compiled in). Computed once per content and kept; the
 * string returned lives as long as the process. Thread-safe. */
const char *dh_asset_tag(const char *content);

#endif
