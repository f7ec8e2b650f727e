/* pg_save.c - saving a row with an id (pg_save.h). */
#include "store/postgres/pg_save.h"

dh_status dh_pg_save_row(dh_conn *c, const char *insert, const char *upsert, int64_t given,
                         dh_pg_params *p, int64_t *id, const char *what, dh_err *e)
{
    if (given) {
        dh_pg_int(p, given);
        dh_status s = dh_pg_exec(c, upsert, p, NULL, what, e);
        if (s == DH_OK && id)
            *id = given;
        return s;
    }
    int64_t got = 0;
    dh_status s = dh_pg_exec_id(c, insert, p, &got, what, e);
    if (s == DH_OK && id)
        *id = got;
    return s;
}
