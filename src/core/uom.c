/* uom.c - the range of values per unit of measure. */
#include "core/uom.h"

#include <stddef.h>
#include <string.h>

/* First words of units of measure that count things (never negative). */
static const char *const count_words[] = {
    "trạm",   "hồ sơ",    "người",   "lượt",     "doanh nghiệp", "tài khoản", "cái",
    "thủ tục", "dịch vụ", "hệ thống", "văn bản", "cơ sở",        "hộ",        "xã",
    "đơn vị", "chiếc",    "bộ",      "lần",      "cuộc",         "count",     NULL};

bool dh_uom_per_100(const char *uom)
{
    static const char *const tails[] = {"/100 dân", "/100 người dân", "/100 người",
                                        "per 100 inhabitants", "per 100 people", NULL};
    size_t n = uom ? strlen(uom) : 0;
    for (int i = 0; tails[i]; i++) {
        size_t t = strlen(tails[i]);
        if (n >= t && strcmp(uom + n - t, tails[i]) == 0)
            return true;
    }
    return false;
}

const char *dh_ind_value_range(const char *uom, double *lo, double *hi)
{
    *hi = DH_IND_VALUE_MAX;
    if (uom && strcmp(uom, "%") == 0) {
        *lo = 0;
        *hi = 100;
        return "a percentage";
    }
    if (dh_uom_per_100(uom)) {
        *lo = 0;
        return "a rate per 100 inhabitants";
    }
    for (int i = 0; uom && count_words[i]; i++) {
        size_t n = strlen(count_words[i]);
        if (strncmp(uom, count_words[i], n) == 0 &&
            (uom[n] == '\0' || uom[n] == ' ' || uom[n] == '/')) {
            *lo = 0;
            return "a count";
        }
    }
    *lo = -DH_IND_VALUE_MAX;
    return "a value";
}
