/* text.c - UTF-8 validation, NFC, search folding and Vietnamese collation,
 * on top of utf8proc. */
#include "util/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/buf.h"

long dh_utf8_invalid_offset(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        uint32_t cp;
        if (c == 0)
            return (long)i;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return (long)i;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
                return (long)i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF. */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return (long)i;
        i += n + 1;
    }
    return -1;
}

const char *dh_utf8_prefix(const char *s, char *buf, size_t cap)
{
    long bad = dh_utf8_invalid_offset(s, strlen(s));
    if (bad < 0)
        return s;
    size_t keep = (size_t)bad < cap - 4 ? (size_t)bad : cap - 4;
    while (keep > 0 && keep < (size_t)bad && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--; /* not inside a character */
    memcpy(buf, s, keep);
    memcpy(buf + keep, "…", 4);
    return buf;
}

static char *nfc_valid(const char *s)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0)
        return NULL;
    return (char *)out;
}

char *dh_text_nfc(const char *s, long *bad_offset)
{
    long bad = dh_utf8_invalid_offset(s, strlen(s));
    if (bad_offset)
        *bad_offset = bad;
    if (bad >= 0)
        return NULL;
    return nfc_valid(s);
}

static bool is_space_cp(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == 0xA0 || c == 0x2007 || c == 0x202F ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

/* Copies s folding runs of white space into one ASCII space, trimmed. */
static char *collapse_space(const char *s)
{
    dh_buf b = DH_BUF_INIT;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    bool pending = false;
    while (*p) {
        int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);
        if (n <= 0)
            break;
        if (is_space_cp(c)) {
            pending = b.len > 0;
        } else {
            if (pending)
                dh_buf_putc(&b, ' ');
            pending = false;
            dh_buf_append(&b, p, (size_t)n);
        }
        p += n;
    }
    return dh_buf_steal(&b);
}

long dh_text_bidi_offset(const char *s)
{
    /* U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9. */
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i]; i++) {
        if (p[i] != 0xE2 || !p[i + 1] || !p[i + 2])
            continue;
        if ((p[i + 1] == 0x80 && p[i + 2] >= 0xAA && p[i + 2] <= 0xAE) ||
            (p[i + 1] == 0x81 && p[i + 2] >= 0xA6 && p[i + 2] <= 0xA9))
            return (long)i;
    }
    return -1;
}

char *dh_text_clean(const char *s, long *bad_offset)
{
    char *nfc = dh_text_nfc(s, bad_offset);
    if (!nfc)
        return NULL;
    long bidi = dh_text_bidi_offset(s);
    if (bidi >= 0) {
        if (bad_offset)
            *bad_offset = bidi;
        free(nfc);
        return NULL;
    }
    char *out = collapse_space(nfc);
    free(nfc);
    return out;
}

dh_status dh_text_clean_field(const char *s, const char *field, char **out, dh_err *e)
{
    long bad = -1;
    *out = dh_text_clean(s ? s : "", &bad);
    if (*out)
        return DH_OK;
    if (dh_text_bidi_offset(s ? s : "") == bad)
        return dh_err_set(e, DH_E_INVALID, "bidi_control", field,
                          "%s: a bidirectional control character (U+202A..U+202E, "
                          "U+2066..U+2069) at byte offset %ld is not allowed",
                          field, bad);
    return dh_err_set(e, DH_E_MALFORMED, "invalid_utf8", field,
                      "%s is not valid UTF-8 (byte offset %ld)", field, bad);
}

char *dh_text_fold(const char *s)
{
    /* Decompose, drop the combining marks, lower-case; đ does not
     * decompose, so it is mapped by hand. */
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &d,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n < 0)
        return dh_xstrdup("");
    dh_buf b = DH_BUF_INIT;
    const utf8proc_uint8_t *p = d;
    bool pending = false;
    while (*p) {
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);
        if (k <= 0)
            break;
        p += k;
        utf8proc_category_t cat = utf8proc_category(c);
        if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME)
            continue;
        if (is_space_cp(c)) {
            pending = b.len > 0;
            continue;
        }
        if (c == 0x0111 || c == 0x0110)
            c = 'd';
        if (pending)
            dh_buf_putc(&b, ' ');
        pending = false;
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t m = utf8proc_encode_char(c, enc);
        dh_buf_append(&b, enc, (size_t)m);
    }
    free(d);
    return dh_buf_steal(&b);
}

size_t dh_text_length(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* ------------------------------------------------------------------ */
/* Vietnamese collation.                                              */

/* The primary weight of a base letter (after removing tone marks but
 * keeping the letter-forming marks: breve, circumflex, horn, stroke). */
static int letter_weight(int32_t base, int32_t mark)
{
    /* Letters in Vietnamese order; each slot leaves room for variants. */
    int w;
    switch (base) {
    case 'a': w = mark == 0x0306 ? 2 : mark == 0x0302 ? 3 : 1; break;
    case 'b': w = 4; break;
    case 'c': w = 5; break;
    case 'd': w = mark == 0x0111 ? 7 : 6; break;
    case 'e': w = mark == 0x0302 ? 9 : 8; break;
    case 'f': w = 10; break;
    case 'g': w = 11; break;
    case 'h': w = 12; break;
    case 'i': w = 13; break;
    case 'j': w = 14; break;
    case 'k': w = 15; break;
    case 'l': w = 16; break;
    case 'm': w = 17; break;
    case 'n': w = 18; break;
    case 'o': w = mark == 0x0302 ? 20 : mark == 0x031B ? 21 : 19; break;
    case 'p': w = 22; break;
    case 'q': w = 23; break;
    case 'r': w = 24; break;
    case 's': w = 25; break;
    case 't': w = 26; break;
    case 'u': w = mark == 0x031B ? 28 : 27; break;
    case 'v': w = 29; break;
    case 'w': w = 30; break;
    case 'x': w = 31; break;
    case 'y': w = 32; break;
    case 'z': w = 33; break;
    default: w = -1;
    }
    return w;
}

static int tone_of(int32_t mark)
{
    switch (mark) {
    case 0x0300: return 1; /* huyền */
    case 0x0309: return 2; /* hỏi */
    case 0x0303: return 3; /* ngã */
    case 0x0301: return 4; /* sắc */
    case 0x0323: return 5; /* nặng */
    default: return 0;
    }
}

/* A collation key: per letter a primary weight; per syllable the tone
 * (wherever in the syllable it sits, so hoá and hóa agree); the case bits
 * last. Keys are arrays of ints: primary..., 0, tones..., 0, case... */
typedef struct key {
    int *v;
    size_t n, cap;
} key;

static void key_push(key *k, int x)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 64;
        k->v = dh_xrealloc(k->v, k->cap * sizeof *k->v);
    }
    k->v[k->n++] = x;
}

static void make_key(const char *s, key *prim, key *tones, key *cases)
{
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &d,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    if (n < 0)
        return;
    const utf8proc_uint8_t *p = d;
    int syllable_tone = 0;
    bool in_word = false;
    int32_t pending_base = -1, pending_mark = 0;
    bool pending_upper = false;
#define FLUSH()                                                                                    \
    do {                                                                                           \
        if (pending_base >= 0) {                                                                   \
            int w = letter_weight(pending_base, pending_mark);                                     \
            key_push(prim, w >= 0 ? w : 100 + pending_base);                                       \
            key_push(cases, pending_upper);                                                        \
        }                                                                                          \
        pending_base = -1;                                                                         \
        pending_mark = 0;                                                                          \
    } while (0)
    while (*p) {
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);
        if (k <= 0)
            break;
        p += k;
        utf8proc_category_t cat = utf8proc_category(c);
        if (cat == UTF8PROC_CATEGORY_MN) {
            int t = tone_of(c);
            if (t)
                syllable_tone = t;
            else if (pending_base >= 0)
                pending_mark = c;
            continue;
        }
        FLUSH();
        bool letter = cat <= UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_ND;
        if (!letter) {
            if (in_word)
                key_push(tones, syllable_tone);
            syllable_tone = 0;
            in_word = false;
            /* Separators sort before every letter. */
            key_push(prim, 0);
            continue;
        }
        in_word = true;
        int32_t lower = utf8proc_tolower(c);
        pending_upper = lower != c;
        if (lower == 0x0111) {
            pending_base = 'd';
            pending_mark = 0x0111;
        } else if (cat == UTF8PROC_CATEGORY_ND) {
            /* Digits before letters, in their order. */
            key_push(prim, -100 + (int)(c - '0'));
            key_push(cases, 0);
        } else {
            pending_base = lower;
        }
    }
    FLUSH();
#undef FLUSH
    if (in_word)
        key_push(tones, syllable_tone);
    free(d);
}

static int cmp_keys(const key *a, const key *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (a->v[i] != b->v[i])
            return a->v[i] < b->v[i] ? -1 : 1;
    return (a->n > b->n) - (a->n < b->n);
}

void dh_text_key_make(const char *s, dh_text_key *k)
{
    key part[3] = {{0}, {0}, {0}};
    make_key(s, &part[0], &part[1], &part[2]);
    for (int i = 0; i < 3; i++) {
        k->v[i] = part[i].v;
        k->n[i] = part[i].n;
    }
}

int dh_text_key_cmp(const dh_text_key *a, const dh_text_key *b)
{
    int r = 0;
    for (int i = 0; i < 3 && !r; i++) {
        key x = {a->v[i], a->n[i], a->n[i]}, y = {b->v[i], b->n[i], b->n[i]};
        r = cmp_keys(&x, &y);
    }
    return r;
}

void dh_text_key_free(dh_text_key *k)
{
    for (int i = 0; i < 3; i++) {
        free(k->v[i]);
        k->v[i] = NULL;
        k->n[i] = 0;
    }
}

int dh_text_collate(const char *a, const char *b)
{
    dh_text_key ka, kb;
    dh_text_key_make(a, &ka);
    dh_text_key_make(b, &kb);
    int r = dh_text_key_cmp(&ka, &kb);
    dh_text_key_free(&ka);
    dh_text_key_free(&kb);
    return r;
}

const char *dh_text_clip(const char *s, size_t max_chars, char *out, size_t cap)
{
    size_t o = 0, chars = 0;
    if (!cap)
        return out;
    for (const char *p = s ? s : ""; *p;) {
        size_t n = 1;
        while ((p[n] & 0xC0) == 0x80)
            n++;
        if (chars == max_chars || o + n + 4 > cap) {
            memcpy(out + o, "…", 3); /* room was kept for it */
            o += 3;
            break;
        }
        memcpy(out + o, p, n);
        o += n;
        p += n;
        chars++;
    }
    out[o] = '\0';
    return out;
}
