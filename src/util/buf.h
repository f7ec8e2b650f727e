/* buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Ownership: the buffer owns b->p; dh_buf_free releases it, dh_buf_steal
 * hands it to the caller (who frees it with free()). Allocation failure
 * aborts: growth here is bounded by the callers, which check input sizes.
 */
#ifndef DH_BUF_H
#define DH_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct dh_buf {
    char *p;
    size_t len;
    size_t cap;
} dh_buf;

#define DH_BUF_INIT {0, 0, 0}

void dh_buf_append(dh_buf *b, const void *data, size_t n);
void dh_buf_puts(dh_buf *b, const char *s);
void dh_buf_putc(dh_buf *b, char c);
void dh_buf_printf(dh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (valid UTF-8) as a JSON string, quoted and escaped as
 * jansson escapes it (", \, control characters; nothing else). */
void dh_buf_json_str(dh_buf *b, const char *s);
/* Appends v in decimal, without printf. */
void dh_buf_int(dh_buf *b, long long v);
/* Appends v as 4 or 8 bytes, little-endian; dh_le32 and dh_le64 read them
 * back from p (which must hold them). */
void dh_buf_le32(dh_buf *b, uint32_t v);
void dh_buf_le64(dh_buf *b, uint64_t v);
uint32_t dh_le32(const unsigned char *p);
uint64_t dh_le64(const unsigned char *p);
/* Reads 4 (8) little-endian bytes at *p into *v and moves *p past them:
 * false, nothing read, when fewer than that are left before end. */
bool dh_le32_take(const unsigned char **p, const unsigned char *end, uint32_t *v);
bool dh_le64_take(const unsigned char **p, const unsigned char *end, uint64_t *v);
/* Returns the NUL-terminated contents ("" when empty); the buffer is reset. */
char *dh_buf_steal(dh_buf *b);
void dh_buf_reset(dh_buf *b);
/* Appends what is left to read in f, up to its end or a read error (which
 * ends it as the end would, as for a reader taking f directly); b->p is
 * then never NULL. */
void dh_buf_read_all(dh_buf *b, FILE *f);
void dh_buf_free(dh_buf *b);

/* Aborting allocators for the "allocation failure may abort" rule. */
void *dh_xmalloc(size_t n);
void *dh_xcalloc(size_t n, size_t size);
void *dh_xrealloc(void *p, size_t n);
char *dh_xstrdup(const char *s);

#endif
