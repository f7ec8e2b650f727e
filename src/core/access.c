/* access.c - the role/scope rules of access.h. */
#include "core/access.h"

#include <string.h>

static const char *const role_names[DH_ROLE_COUNT] = {"admin", "leader", "officer", "reporter",
                                                      "viewer"};

const char *dh_role_name(dh_role r) { return (unsigned)r < DH_ROLE_COUNT ? role_names[r] : "?"; }

int dh_role_parse(const char *s, dh_role *r)
{
    for (int i = 0; i < DH_ROLE_COUNT; i++) {
        if (s && strcmp(s, role_names[i]) == 0) {
            *r = (dh_role)i;
            return 0;
        }
    }
    return -1;
}

bool dh_access_allows(const dh_unitreg *r, dh_role role, int32_t scope, dh_action act,
                      int32_t target, dh_date d)
{
    if (role == DH_ROLE_ADMIN)
        return true;
    if (act == DH_ACT_MANAGE || scope < 0 || target < 0)
        return false;
    /* Judge a closed (or future) unit by the tree on the nearest day it existed. */
    const dh_unit *t = &r->u[target];
    if (d > t->valid_to && t->valid_to != DH_DATE_NONE)
        d = t->valid_to;
    if (d < t->valid_from)
        d = t->valid_from;
    bool inside = dh_unitreg_in_subtree(r, target, scope, d);
    switch (act) {
    case DH_ACT_READ:
        return inside;
    case DH_ACT_WRITE:
        return role == DH_ROLE_OFFICER && inside;
    case DH_ACT_SUBMIT:
        return (role == DH_ROLE_OFFICER && inside) || (role == DH_ROLE_REPORTER && target == scope);
    case DH_ACT_MANAGE:
        return false;
    }
    return false;
}
