/* migrations.h - numbered SQL migrations compiled into the binary, one table
 * for every backend (scripts/embed-sql.sh). Entries are sorted by backend and
 * number; the table ends with a zeroed entry. */
#ifndef DH_MIGRATIONS_H
#define DH_MIGRATIONS_H

struct dh_migration {
    const char *backend; /* the folder: "sqlite", "postgres" */
    int number;          /* 1, 2, ...: the schema version it produces */
    const char *name;    /* file name without .sql */
    const char *sql;
};

extern const struct dh_migration dh_migrations[];

#endif
