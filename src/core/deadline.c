/* deadline.c - see deadline.h.
 *
 * The text is folded (dh_text_fold), cut into tokens (words, numbers, '/'
 * and dashes; sentence punctuation, bullets and quotes are dropped, any other
 * ASCII symbol is an "other" token that no rule accepts), and matched by a small recursive-descent grammar:
 *
 *   deadline  := filler* ( relative | recurring | span ) END
 *   relative  := ("sau" | "trong vong" | "trong") N "ngay" ["lam viec"] rest
 *              | N "ngay" ("ke tu" | "tu" | "sau") rest
 *   recurring := any order of one marker ("hang nam", "hang quy", "hang thang",
 *                "hang ngay", "thuong xuyen" ["lien tuc"]), at most one span,
 *                and for yearly "truoc ngay D/M"; "dinh ky", "giai doan",
 *                "tu", "trong" may appear anywhere in it
 *   span      := ["tu"] point [("-" | "den" ["het"]) ["tu"] point] | point
 *   point     := date | quarter | half | month | year
 *
 * Invariants:
 *  1. A text that does not match in full is DH_DL_FREE with needs_review:
 *     no rule looks at a part of a sentence.
 *  2. Every date built here is a real calendar day of a year in
 *     YEAR_MIN..YEAR_MAX (checked before dh_date_from_ymd is called).
 */
#include "core/deadline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/buf.h"
#include "util/text.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2199
#define TOK_MAX 160
#define REL_DAYS_MAX 3660

/* ------------------------------------------------------------------ */
/* Tokens.                                                            */

typedef enum tok_type { T_WORD, T_NUM, T_SLASH, T_DASH, T_OTHER } tok_type;

typedef struct tok {
    tok_type type;
    const char *s; /* into the folded text; not NUL-terminated */
    size_t len;
    int num; /* T_NUM: the value, or -1 when more than 9 digits */
} tok;

typedef struct toks {
    tok t[TOK_MAX];
    int n;
    bool overflow;
} toks;

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Dropped between tokens: spaces, sentence punctuation, brackets, list
 * bullets, Markdown emphasis and quotes. */
static bool is_dropped(unsigned char c)
{
    return c == ' ' || c == '.' || c == ',' || c == ':' || c == ';' || c == '(' || c == ')' ||
           c == '[' || c == ']' || c == '*' || c == '_' || c == '"' || c == '\'' || c == '+' ||
           c == '\t';
}

/* What a non-ASCII code point at p is: a letter (part of a word), a dash
 * (en, em, minus sign...: T_DASH) or anything else (bullets "•", "·", the
 * private-use bullets of converted Word files, typographic quotes: dropped,
 * T_OTHER here). Sets *len to its length in bytes (1 for a broken byte,
 * which cannot happen on validated input). */
static tok_type classify_cp(const unsigned char *p, size_t *len)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
    if (n <= 0) {
        *len = 1;
        return T_OTHER;
    }
    *len = (size_t)n;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
        return T_WORD;
    case UTF8PROC_CATEGORY_PD:
        return T_DASH;
    default:
        return cp == 0x2212 ? T_DASH : T_OTHER;
    }
}

static void push(toks *k, tok_type type, const char *s, size_t len, int num)
{
    if (k->n == TOK_MAX) {
        k->overflow = true;
        return;
    }
    k->t[k->n++] = (tok){type, s, len, num};
}

/* The length of the word starting at p (ASCII letters and non-ASCII
 * letters). */
static size_t word_len(const unsigned char *p)
{
    const unsigned char *b = p;
    for (;;) {
        if (is_alpha(*p)) {
            p++;
            continue;
        }
        size_t n;
        if (*p >= 0x80 && classify_cp(p, &n) == T_WORD) {
            p += n;
            continue;
        }
        return (size_t)(p - b);
    }
}

static void tokenize(const char *f, toks *k)
{
    const unsigned char *p = (const unsigned char *)f;
    k->n = 0;
    k->overflow = false;
    while (*p) {
        size_t n = 0;
        tok_type cls = *p >= 0x80 ? classify_cp(p, &n) : T_OTHER;
        if (*p >= 0x80 && cls != T_WORD) {
            if (cls == T_DASH)
                push(k, T_DASH, (const char *)p, n, 0);
            p += n;
        } else if (is_dropped(*p)) {
            p++;
        } else if (is_digit(*p)) {
            const unsigned char *b = p;
            long v = 0;
            while (is_digit(*p)) {
                if (p - b < 9)
                    v = v * 10 + (*p - '0');
                p++;
            }
            push(k, T_NUM, (const char *)b, (size_t)(p - b), p - b > 9 ? -1 : (int)v);
        } else if (is_alpha(*p) || *p >= 0x80) {
            n = word_len(p);
            push(k, T_WORD, (const char *)p, n, 0);
            p += n;
        } else if (*p == '/') {
            push(k, T_SLASH, (const char *)p, 1, 0);
            p++;
        } else if (*p == '-') {
            push(k, T_DASH, (const char *)p, 1, 0);
            p++;
        } else {
            push(k, T_OTHER, (const char *)p, 1, 0);
            p++;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Matching helpers. A cursor is an index into the tokens; every parse
 * function either advances it past what it matched and returns true, or
 * leaves it unchanged and returns false. */

typedef struct cur {
    const toks *k;
    int i;
} cur;

static bool at_end(const cur *c)
{
    return c->i >= c->k->n;
}

static const tok *peek(const cur *c, int ahead)
{
    int j = c->i + ahead;
    return j < c->k->n ? &c->k->t[j] : NULL;
}

static bool word_is(const tok *t, const char *w)
{
    return t && t->type == T_WORD && t->len == strlen(w) && memcmp(t->s, w, t->len) == 0;
}

/* Matches a phrase of space-separated words ("thoi gian hoan thanh"). */
static bool words(cur *c, const char *phrase)
{
    int j = c->i;
    const char *p = phrase;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const tok *t = j < c->k->n ? &c->k->t[j] : NULL;
        if (!t || t->type != T_WORD || t->len != n || memcmp(t->s, p, n) != 0)
            return false;
        j++;
        p += n;
        if (*p == ' ')
            p++;
    }
    c->i = j;
    return true;
}

static bool sym(cur *c, tok_type type)
{
    const tok *t = peek(c, 0);
    if (!t || t->type != type)
        return false;
    c->i++;
    return true;
}

/* A number of at most maxdigits digits within [lo, hi]. */
static bool number(cur *c, size_t maxdigits, int lo, int hi, int *v)
{
    const tok *t = peek(c, 0);
    if (!t || t->type != T_NUM || t->len > maxdigits || t->num < lo || t->num > hi)
        return false;
    *v = t->num;
    c->i++;
    return true;
}

static bool year(cur *c, int *y)
{
    const tok *t = peek(c, 0);
    if (!t || t->type != T_NUM || t->len != 4)
        return false;
    return number(c, 4, YEAR_MIN, YEAR_MAX, y);
}

/* A date separator: '/' or '-'. */
static bool datesep(cur *c, tok_type *which)
{
    const tok *t = peek(c, 0);
    if (!t || (t->type != T_SLASH && t->type != T_DASH))
        return false;
    *which = t->type;
    c->i++;
    return true;
}

/* ------------------------------------------------------------------ */
/* Points: one calendar period each.                                  */

typedef struct point {
    dh_dl_kind kind; /* DATE, MONTH, QUARTER, HALF or YEAR */
    dh_date from, to;
} point;

static dh_date last_of_month(int y, int m)
{
    return dh_date_from_ymd(y, m, dh_date_days_in_month(y, m));
}

static void set_months(point *p, dh_dl_kind kind, int y, int m1, int m2)
{
    p->kind = kind;
    p->from = dh_date_from_ymd(y, m1, 1);
    p->to = last_of_month(y, m2);
}

/* "15/12/2024", "ngày 15/12/2024", "ngày 15 tháng 12 năm 2024", "2024-12-15". */
static bool p_date(cur *c, point *p)
{
    cur s = *c;
    int d, m, y;
    tok_type s1, s2;
    words(&s, "ngay");
    cur t = s;
    bool ok = false;
    if (number(&t, 2, 1, 31, &d) && datesep(&t, &s1) && number(&t, 2, 1, 12, &m) &&
        datesep(&t, &s2) && s1 == s2 && year(&t, &y))
        ok = true;
    if (!ok) {
        t = s;
        ok = number(&t, 2, 1, 31, &d) && words(&t, "thang") && number(&t, 2, 1, 12, &m) &&
             words(&t, "nam") && year(&t, &y);
    }
    if (!ok) {
        t = s;
        ok = year(&t, &y) && sym(&t, T_DASH) && number(&t, 2, 1, 12, &m) && sym(&t, T_DASH) &&
             number(&t, 2, 1, 31, &d);
    }
    if (!ok || d > dh_date_days_in_month(y, m))
        return false;
    p->kind = DH_DL_DATE;
    p->from = p->to = dh_date_from_ymd(y, m, d);
    c->i = t.i;
    return true;
}

static int roman_quarter(const tok *t)
{
    static const char *const r[] = {"i", "ii", "iii", "iv"};
    for (int q = 0; q < 4; q++)
        if (word_is(t, r[q]))
            return q + 1;
    return 0;
}

/* "Quý IV/2024", "quý 3/2024", "Quý II năm 2024", "quý 4-2024", "quý IV 2024". */
static bool p_quarter(cur *c, point *p)
{
    cur t = *c;
    int q = 0, y;
    tok_type sep;
    if (!words(&t, "quy") && !words(&t, "qui")) /* "Quí", an old spelling */
        return false;
    q = roman_quarter(peek(&t, 0));
    if (q)
        t.i++;
    else if (!number(&t, 1, 1, 4, &q))
        return false;
    if (!datesep(&t, &sep))
        words(&t, "nam");
    if (!year(&t, &y))
        return false;
    set_months(p, DH_DL_QUARTER, y, 3 * q - 2, 3 * q);
    c->i = t.i;
    return true;
}

/* "6 tháng đầu năm 2024", "6 tháng cuối năm 2024", "nửa đầu năm 2024". */
static bool p_half(cur *c, point *p)
{
    cur t = *c;
    int six, y, h;
    if (!(number(&t, 2, 6, 6, &six) && words(&t, "thang")) && !words(&t, "nua"))
        return false;
    if (words(&t, "dau"))
        h = 1;
    else if (words(&t, "cuoi") || words(&t, "sau"))
        h = 2;
    else
        return false;
    words(&t, "nam");
    if (!year(&t, &y))
        return false;
    set_months(p, DH_DL_HALF, y, h == 1 ? 1 : 7, h == 1 ? 6 : 12);
    c->i = t.i;
    return true;
}

/* "tháng 12/2024", "Tháng 12 năm 2024", "tháng 12-2024", "12/2024". */
static bool p_month(cur *c, point *p)
{
    cur t = *c;
    int m, y;
    tok_type sep;
    if (words(&t, "thang")) {
        if (!number(&t, 2, 1, 12, &m))
            return false;
        if (!datesep(&t, &sep) && !words(&t, "nam"))
            return false;
    } else if (!(number(&t, 2, 1, 12, &m) && sym(&t, T_SLASH))) {
        return false;
    }
    if (!year(&t, &y))
        return false;
    set_months(p, DH_DL_MONTH, y, m, m);
    c->i = t.i;
    return true;
}

/* "2023", "năm 2024". */
static bool p_year(cur *c, point *p)
{
    cur t = *c;
    int y;
    words(&t, "nam");
    if (!year(&t, &y))
        return false;
    set_months(p, DH_DL_YEAR, y, 1, 12);
    c->i = t.i;
    return true;
}

static bool p_point(cur *c, point *p)
{
    return p_date(c, p) || p_quarter(c, p) || p_half(c, p) || p_month(c, p) || p_year(c, p);
}

/* A point, or two points joined by '-' or "đến" into a range. */
static bool p_span(cur *c, point *p, bool *range)
{
    cur t = *c;
    point a, b;
    words(&t, "tu");
    if (!p_point(&t, &a))
        return false;
    *range = false;
    *p = a;
    cur r = t;
    if (sym(&r, T_DASH) || words(&r, "den")) {
        words(&r, "het");
        words(&r, "tu");
        if (p_point(&r, &b) && b.to >= a.from) {
            *range = true;
            p->kind = a.kind == DH_DL_YEAR && b.kind == DH_DL_YEAR ? DH_DL_YEAR_RANGE : DH_DL_RANGE;
            p->from = a.from;
            p->to = b.to;
            t = r;
        }
    }
    c->i = t.i;
    return true;
}

/* ------------------------------------------------------------------ */
/* Lead-in words.                                                     */

/* Phrases that introduce a deadline and say nothing about it. Longest
 * first, so that "thoi gian hoan thanh" wins over "thoi gian". */
static const char *const fillers[] = {
    "thoi gian hoan thanh", "thoi gian thuc hien", "thoi han hoan thanh", "thoi gian",
    "thoi han", "han hoan thanh", "hoan thanh", "thuc hien", "trien khai", "ban hanh",
    "cham nhat", "dinh ky", "giai doan", "truoc", "den", "het", "cuoi",
    "vao", "tu", "han",
};

static void skip_fillers(cur *c)
{
    bool more = true;
    while (more) {
        more = sym(c, T_DASH); /* a list bullet "- " */
        if (more)
            continue;
        for (size_t f = 0; f < sizeof fillers / sizeof fillers[0]; f++) {
            if (words(c, fillers[f])) {
                more = true;
                break;
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* Relative deadlines.                                                */

static bool has_word(const toks *k, int from, const char *w)
{
    for (int j = from; j < k->n; j++)
        if (word_is(&k->t[j], w))
            return true;
    return false;
}

static bool has_phrase(const toks *k, int from, const char *phrase)
{
    for (int j = from; j < k->n; j++) {
        cur c = {k, j};
        if (words(&c, phrase))
            return true;
    }
    return false;
}

/* Which document the words after "N ngày" count from: "... Kế hoạch này"
 * is the plan itself, "... Kế hoạch của UBND Tỉnh" the higher plan. */
static dh_dl_anchor anchor_of(const toks *k, int from)
{
    if (from >= k->n)
        return DH_DL_ANCHOR_UNKNOWN;
    bool doc = has_phrase(k, from, "ke hoach") || has_phrase(k, from, "quyet dinh") ||
               has_phrase(k, from, "van ban") || has_phrase(k, from, "chi thi") ||
               has_phrase(k, from, "chuong trinh");
    if (!doc)
        return DH_DL_ANCHOR_UNKNOWN;
    if (has_word(k, from, "nay"))
        return DH_DL_ANCHOR_SELF;
    if (has_word(k, from, "tinh") || has_word(k, from, "ubnd") ||
        has_phrase(k, from, "cap tren") || has_phrase(k, from, "trung uong") ||
        has_phrase(k, from, "chinh phu") || has_phrase(k, from, "thu tuong"))
        return DH_DL_ANCHOR_PARENT;
    return DH_DL_ANCHOR_UNKNOWN;
}

static bool p_relative(cur *c, dh_deadline *d)
{
    cur t = *c;
    int n;
    bool lead = words(&t, "sau") || words(&t, "trong vong") || words(&t, "trong");
    if (!number(&t, 4, 1, REL_DAYS_MAX, &n) || !words(&t, "ngay"))
        return false;
    bool work = words(&t, "lam viec");
    if (!lead && !(words(&t, "ke tu") || words(&t, "tu") || words(&t, "sau")))
        return false;
    d->kind = DH_DL_RELATIVE;
    d->rel_days = n;
    d->working_days = work;
    d->anchor = anchor_of(c->k, t.i);
    d->needs_review = d->anchor == DH_DL_ANCHOR_UNKNOWN;
    c->i = c->k->n; /* the rest names the anchor; it is consumed whole */
    return true;
}

/* ------------------------------------------------------------------ */
/* Recurring deadlines.                                               */

static const struct {
    const char *words;
    dh_dl_kind kind;
} markers[] = {
    {"hang nam", DH_DL_YEARLY},      {"moi nam", DH_DL_YEARLY},
    {"hang quy", DH_DL_QUARTERLY},   {"moi quy", DH_DL_QUARTERLY},
    {"hang thang", DH_DL_MONTHLY},   {"moi thang", DH_DL_MONTHLY},
    {"hang ngay", DH_DL_DAILY},      {"moi ngay", DH_DL_DAILY},
    {"thuong xuyen lien tuc", DH_DL_CONTINUOUS},
    {"thuong xuyen", DH_DL_CONTINUOUS}, {"lien tuc", DH_DL_CONTINUOUS},
};

/* "trước ngày 15/12" inside a yearly deadline. */
static bool p_yearly_day(cur *c, int *m, int *d)
{
    cur t = *c;
    tok_type sep;
    if (!words(&t, "truoc"))
        words(&t, "cham nhat");
    if (!words(&t, "ngay") || !number(&t, 2, 1, 31, d) || !datesep(&t, &sep) ||
        !number(&t, 2, 1, 12, m))
        return false;
    /* 29/02 would skip three years in four. */
    if (*d > dh_date_days_in_month(2023, *m))
        return false;
    c->i = t.i;
    return true;
}

static bool p_recurring(cur *c, dh_deadline *d)
{
    cur t = *c;
    dh_dl_kind kind = DH_DL_FREE;
    bool have_span = false, have_day = false;
    point span = {DH_DL_FREE, DH_DATE_NONE, DH_DATE_NONE};
    int ym = 12, yd = 31;
    while (!at_end(&t)) {
        bool found = false;
        for (size_t j = 0; j < sizeof markers / sizeof markers[0] && !found; j++) {
            if (words(&t, markers[j].words)) {
                if (kind != DH_DL_FREE)
                    return false;
                kind = markers[j].kind;
                found = true;
            }
        }
        if (found || words(&t, "dinh ky") || words(&t, "giai doan") || words(&t, "trong"))
            continue;
        bool range;
        point p;
        if (!have_span && p_span(&t, &p, &range)) {
            have_span = true;
            span = p;
            continue;
        }
        if (!have_day && p_yearly_day(&t, &ym, &yd)) {
            have_day = true;
            continue;
        }
        return false;
    }
    if (kind == DH_DL_FREE || (have_day && kind != DH_DL_YEARLY))
        return false;
    d->kind = kind;
    if (have_span) {
        d->start = span.from;
        d->due = span.to;
    }
    if (kind == DH_DL_YEARLY) {
        d->yearly_month = ym;
        d->yearly_day = yd;
    }
    c->i = t.i;
    return true;
}

/* ------------------------------------------------------------------ */
/* The whole text.                                                    */

static void classify(const toks *k, dh_deadline *d)
{
    cur c = {k, 0};
    skip_fillers(&c);
    if (k->overflow || at_end(&c))
        return;
    if (p_relative(&c, d))
        return;
    /* "trong năm 2024", "trong quý IV/2024" */
    words(&c, "trong");
    skip_fillers(&c);
    cur r = c;
    if (p_recurring(&r, d))
        return;
    point p;
    bool range;
    if (p_span(&c, &p, &range) && at_end(&c)) {
        d->kind = p.kind;
        d->due = p.to;
        d->start = range ? p.from : DH_DATE_NONE;
    }
}

dh_status dh_deadline_parse(const char *s, dh_deadline *out, dh_err *e)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(s);
    if (len > DH_DL_TEXT_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "deadline_too_long", "deadline",
                          "a deadline text is at most %d bytes (got %zu)", DH_DL_TEXT_MAX, len);
    long bad = dh_utf8_invalid_offset(s, len);
    if (bad >= 0)
        return dh_err_set(e, DH_E_MALFORMED, "bad_utf8", "deadline",
                          "the deadline text is not valid UTF-8 (byte %ld)", bad);
    out->kind = DH_DL_FREE;
    out->due = out->start = DH_DATE_NONE;
    char *folded = dh_text_fold(s);
    toks *k = dh_xmalloc(sizeof *k);
    tokenize(folded, k);
    classify(k, out);
    free(k);
    free(folded);
    if (out->kind == DH_DL_FREE) {
        out->due = out->start = DH_DATE_NONE;
        out->needs_review = true;
    }
    out->text = dh_xstrdup(s);
    return DH_OK;
}

void dh_deadline_cleanup(dh_deadline *d)
{
    free(d->text);
    memset(d, 0, sizeof *d);
}

const char *dh_dl_kind_name(dh_dl_kind k)
{
    static const char *const names[DH_DL_KIND_COUNT] = {
        [DH_DL_FREE] = "free",           [DH_DL_DATE] = "date",
        [DH_DL_MONTH] = "month",         [DH_DL_QUARTER] = "quarter",
        [DH_DL_HALF] = "half",           [DH_DL_YEAR] = "year",
        [DH_DL_YEAR_RANGE] = "year_range", [DH_DL_RANGE] = "range",
        [DH_DL_YEARLY] = "yearly",       [DH_DL_QUARTERLY] = "quarterly",
        [DH_DL_MONTHLY] = "monthly",     [DH_DL_DAILY] = "daily",
        [DH_DL_CONTINUOUS] = "continuous", [DH_DL_RELATIVE] = "relative",
    };
    if ((unsigned)k >= DH_DL_KIND_COUNT)
        return "?";
    return names[k];
}

bool dh_deadline_is_recurring(const dh_deadline *d)
{
    return d->kind == DH_DL_YEARLY || d->kind == DH_DL_QUARTERLY || d->kind == DH_DL_MONTHLY ||
           d->kind == DH_DL_DAILY;
}

dh_date dh_deadline_resolve(const dh_deadline *d, dh_date parent_date, dh_date self_date)
{
    if (d->kind != DH_DL_RELATIVE)
        return d->due;
    dh_date a = d->anchor == DH_DL_ANCHOR_PARENT ? parent_date : self_date;
    if (a == DH_DATE_NONE || d->working_days)
        return DH_DATE_NONE;
    return a + d->rel_days;
}

/* ------------------------------------------------------------------ */
/* Occurrences. Periods are numbered: days by their dh_date, months and
 * quarters and years by a month count (year * 12 + month - 1) divided by
 * their length in months, so that the range to list is computed, not
 * walked, whatever [from, to] is. */

static int months_of(dh_dl_kind k)
{
    return k == DH_DL_MONTHLY ? 1 : k == DH_DL_QUARTERLY ? 3 : 12;
}

static int64_t period_of(const dh_deadline *d, dh_date x)
{
    if (d->kind == DH_DL_DAILY)
        return x;
    int y, m, dd;
    dh_date_to_ymd(x, &y, &m, &dd);
    return ((int64_t)y * 12 + (m - 1)) / months_of(d->kind);
}

static dh_dl_occurrence occurrence(const dh_deadline *d, int64_t k)
{
    dh_dl_occurrence o;
    if (d->kind == DH_DL_DAILY) {
        o.start = o.due = (dh_date)k;
        return o;
    }
    int64_t m0 = k * months_of(d->kind), m1 = m0 + months_of(d->kind) - 1;
    int y = (int)(m0 / 12);
    o.start = dh_date_from_ymd(y, (int)(m0 % 12) + 1, 1);
    if (d->kind == DH_DL_YEARLY)
        o.due = dh_date_from_ymd(y, d->yearly_month, d->yearly_day);
    else
        o.due = last_of_month((int)(m1 / 12), (int)(m1 % 12) + 1);
    return o;
}

size_t dh_deadline_occurrences(const dh_deadline *d, dh_date from, dh_date to,
                               dh_dl_occurrence *out, size_t cap)
{
    if (!dh_deadline_is_recurring(d) || from > to)
        return 0;
    dh_date lo = dh_date_from_ymd(1000, 1, 1), hi = dh_date_from_ymd(9999, 12, 31);
    if (d->start != DH_DATE_NONE && d->start > lo)
        lo = d->start;
    if (d->due != DH_DATE_NONE && d->due < hi)
        hi = d->due;
    if (from < lo)
        from = lo;
    if (to > hi)
        to = hi;
    if (from > to)
        return 0;
    int64_t k0 = period_of(d, from), k1 = period_of(d, to);
    /* A yearly period may end before 31/12 (its due day): a `from` after
     * that day is in no period of its year. */
    if (occurrence(d, k0).due < from)
        k0++;
    if (k0 > k1)
        return 0;
    size_t total = (size_t)(k1 - k0 + 1);
    for (size_t j = 0; j < total && j < cap; j++)
        out[j] = occurrence(d, k0 + (int64_t)j);
    return total;
}
