/* text.h - Unicode text at the boundary: UTF-8 validation, NFC, folding for
 * search, and Vietnamese collation.
 *
 * Every string that enters the system passes dh_text_clean once; every
 * searchable name keeps a folded form made by dh_text_fold. Returned strings
 * are malloc'd and owned by the caller (free()).
 */
#ifndef DH_TEXT_H
#define DH_TEXT_H

#include <stddef.h>

#include "util/err.h"

/* Returns -1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates, no
 * code points above U+10FFFF), else the byte offset of the first invalid
 * sequence. NUL bytes count as invalid (we never store them). */
long dh_utf8_invalid_offset(const char *s, size_t len);

/* s, or its valid UTF-8 prefix followed by "…" (copied into buf, cut at a
 * character boundary to fit cap, at least 4) when it is not valid UTF-8 to
 * its end: for text quoted from input and cut at a byte count. */
const char *dh_utf8_prefix(const char *s, char *buf, size_t cap);

/* Validates s (NUL-terminated) and returns its NFC form, or NULL when s is
 * not valid UTF-8 (*bad_offset, if given, is set to the offset). */
char *dh_text_nfc(const char *s, long *bad_offset);

/* Returns the byte offset of the first bidirectional embedding, override or
 * isolate control (U+202A..U+202E, U+2066..U+2069) in valid UTF-8 s, else
 * -1. These reorder what a reader sees ("Trojan Source") and have no place in
 * the names and texts of this system. */
long dh_text_bidi_offset(const char *s);

/* Like dh_text_nfc, and also trims leading and trailing white space and
 * folds internal runs of white space to one ASCII space. Also refuses (NULL,
 * *bad_offset set) a string holding a bidirectional control. */
char *dh_text_clean(const char *s, long *bad_offset);

/* dh_text_clean for one named input field, with the error built here so that
 * every input says the same: on success sets *out (caller frees) and returns
 * DH_OK; else sets *out to NULL and fills e (field = field) with
 * DH_E_MALFORMED "invalid_utf8" or DH_E_INVALID "bidi_control", the message
 * naming the field and the byte offset. */
dh_status dh_text_clean_field(const char *s, const char *field, char **out, dh_err *e);

/* The search key of a (valid UTF-8) string: lower case, diacritics removed,
 * đ/Đ -> d, white space collapsed and trimmed. "Thủy Hoá" and "thuỷ hóa"
 * and "THUY HOA" all fold to "thuy hoa". */
char *dh_text_fold(const char *s);

/* Compares two valid UTF-8 strings in Vietnamese dictionary order
 * (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; tone marks as a
 * secondary key in the order: none, grave, hook, tilde, acute, dot below;
 * case ignored except as a last tie-break). The two tone placements (hoá/hóa)
 * compare equal on the primary and secondary keys. Returns <0, 0, >0. */
int dh_text_collate(const char *a, const char *b);

/* The key dh_text_collate compares, made once for a string that is
 * compared many times (sorting n names: n keys instead of 2 n log n).
 * dh_text_key_cmp(key(a), key(b)) == dh_text_collate(a, b) in sign.
 * The caller owns the key: dh_text_key_free releases it. */
typedef struct dh_text_key {
    int *v[3];   /* primary weights, tones, case bits */
    size_t n[3];
} dh_text_key;
void dh_text_key_make(const char *s, dh_text_key *k);
int dh_text_key_cmp(const dh_text_key *a, const dh_text_key *b);
void dh_text_key_free(dh_text_key *k);

/* Number of Unicode code points in valid UTF-8 s. */
size_t dh_text_length(const char *s);

/* Copies at most max_chars characters of UTF-8 s into out (cap bytes),
 * cutting on a character boundary and ending with "…" when cut; returns
 * out. */
const char *dh_text_clip(const char *s, size_t max_chars, char *out, size_t cap);

#endif
