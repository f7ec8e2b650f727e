/* multipart.c - fuzzes the multipart/form-data reader (src/util/multipart.c)
 * that the public feedback form's images go through. The input's first line
 * is the Content-Type header, the rest the body. Contracts: a boundary is
 * at most 70 bytes; every part lies inside the body, its name and file name
 * are NUL-terminated within their arrays, and no more parts than asked. */
#include "lib/fuzz.h"
#include "util/multipart.h"

#define MAX_PARTS 8

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    const uint8_t *nl = memchr(d, '\n', n);
    size_t hl = nl ? (size_t)(nl - d) : n;
    char *type = fz_cstr(d, hl);
    const char *body = nl ? (const char *)nl + 1 : (const char *)d + n;
    size_t blen = nl ? n - hl - 1 : 0;
    /* the body in its own allocation, so that a read past it is caught */
    char *copy = malloc(blen ? blen : 1);
    FZ_CHECK(copy);
    memcpy(copy, body, blen);
    char boundary[80];
    if (dh_multipart_boundary(type, boundary, sizeof boundary) == 0) {
        FZ_CHECK(strlen(boundary) >= 1 && strlen(boundary) <= 70);
        dh_mpart parts[MAX_PARTS];
        int k = dh_multipart_parse(copy, blen, boundary, parts, MAX_PARTS);
        FZ_CHECK(k >= -1 && k <= MAX_PARTS);
        for (int i = 0; i < k; i++) {
            FZ_CHECK(memchr(parts[i].name, '\0', sizeof parts[i].name) != NULL);
            FZ_CHECK(memchr(parts[i].filename, '\0', sizeof parts[i].filename) != NULL);
            FZ_CHECK(parts[i].data >= copy && parts[i].len <= blen &&
                     parts[i].data + parts[i].len <= copy + blen);
            FZ_CHECK(parts[i].is_file || parts[i].filename[0] == '\0');
        }
    }
    free(copy);
    free(type);
    return 0;
}
