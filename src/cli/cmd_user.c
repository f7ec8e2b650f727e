/* cmd_user.c - `dieuhanh user ...`: add, list, token, passwd, unlock. Passwords are
 * read from standard input (first line), never from the command line where
 * other users could see them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const char user_help[] =
    "usage: dieuhanh user SUBCOMMAND [--db URL] ...\n\n"
    "  add LOGIN --role ROLE [--unit CODE] [--name TEXT]\n"
    "            create a user; the password is read from standard input\n"
    "            ROLE: admin, leader, officer, reporter, viewer (all but admin need --unit)\n"
    "  list      list users\n"
    "  token LOGIN --name NAME [--unit CODE]\n"
    "            create an API token for LOGIN and print it (shown only this once)\n"
    "  passwd LOGIN [--revoke-tokens]\n"
    "            set a new password, read from standard input; every session of LOGIN\n"
    "            ends. API tokens stay valid (they are separate credentials, revoked one\n"
    "            by one) unless --revoke-tokens, which revokes all of LOGIN's tokens too\n"
    "  unlock LOGIN\n"
    "            clear the sign-in lockout of LOGIN (5 failures lock it for 15 minutes);\n"
    "            the limit per address stays\n";

static char *read_password(void)
{
    char buf[1100];
    if (!fgets(buf, sizeof buf, stdin))
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

int dh_cmd_user(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"role", required_argument, 0, 'r'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"name", required_argument, 0, 'n'},
                                         {"revoke-tokens", no_argument, 0, 'R'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    if (argc < 2)
        return dh_cli_usage("user", "a subcommand is needed: add, list, token, passwd or unlock");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(user_help, stdout);
        return DH_EXIT_OK;
    }
    const char *sub = argv[1], *db = NULL, *role = NULL, *unit = NULL, *name = NULL;
    bool revoke_tokens = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "d:r:u:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': role = optarg; break;
        case 'u': unit = optarg; break;
        case 'n': name = optarg; break;
        case 'R': revoke_tokens = true; break;
        case 'h': fputs(user_help, stdout); return DH_EXIT_OK;
        default: return dh_cli_usage("user", "unknown option");
        }
    }
    int npos = argc - 1 - optind;
    char **pos = argv + 1 + optind;
    bool is_add = strcmp(sub, "add") == 0, is_list = strcmp(sub, "list") == 0;
    bool is_token = strcmp(sub, "token") == 0, is_passwd = strcmp(sub, "passwd") == 0;
    bool is_unlock = strcmp(sub, "unlock") == 0;
    if (!is_add && !is_list && !is_token && !is_passwd && !is_unlock)
        return dh_cli_usage("user", "unknown subcommand '%s'", sub);
    if (revoke_tokens && !is_passwd)
        return dh_cli_usage("user", "--revoke-tokens goes with passwd");
    if ((is_list && npos != 0) || (!is_list && npos != 1))
        return dh_cli_usage("user", is_list ? "list takes no argument" : "%s takes one LOGIN",
                            sub);
    if (is_add && !role)
        return dh_cli_usage("user", "add needs --role");
    if (is_token && !name)
        return dh_cli_usage("user", "token needs --name");
    dh_app *app = dh_cli_open(dh_cli_db(db), true);
    if (!app)
        return DH_EXIT_FAIL;
    dh_actor a;
    dh_actor_cli(&a);
    dh_err e;
    int rc = DH_EXIT_OK;
    json_t *out = NULL;
    if (is_add || is_passwd) {
        char *pw = read_password();
        if (!pw) {
            fprintf(stderr, "dieuhanh: no password on standard input\n");
            rc = DH_EXIT_FAIL;
        } else if (is_add) {
            dh_user_spec s = {pos[0], pw, role, unit, name};
            if (dh_app_user_create(app, &a, &s, time(NULL), &out, &e))
                rc = dh_cli_fail(&e);
            else
                printf("user %s created (%s%s%s)\n", pos[0], role, unit ? " of " : "",
                       unit ? unit : "");
        } else if (dh_app_user_password(app, &a, pos[0], pw, revoke_tokens, time(NULL), &out,
                                        &e)) {
            rc = dh_cli_fail(&e);
        } else {
            printf("password of %s changed; %lld session(s) and %lld token(s) revoked\n", pos[0],
                   (long long)json_integer_value(json_object_get(out, "sessions_revoked")),
                   (long long)json_integer_value(json_object_get(out, "tokens_revoked")));
        }
        free(pw);
    } else if (is_unlock) {
        if (dh_app_user_unlock(app, &a, pos[0], time(NULL), &e))
            rc = dh_cli_fail(&e);
        else
            printf("sign-in of %s unlocked\n", pos[0]);
    } else if (is_token) {
        char *secret = NULL;
        if (dh_app_token_create(app, &a, pos[0], name, unit, time(NULL), &secret, &out, &e)) {
            rc = dh_cli_fail(&e);
        } else {
            printf("%s\n", secret);
            fprintf(stderr, "token '%s' for %s (id %lld): keep it now, it is not shown again\n",
                    name, pos[0], (long long)json_integer_value(json_object_get(out, "id")));
        }
        free(secret);
    } else {
        int64_t cursor = 0, next;
        do {
            json_t *items;
            if (dh_app_user_list(app, &a, time(NULL), cursor, 500, &items, &next, &e)) {
                rc = dh_cli_fail(&e);
                break;
            }
            size_t i;
            json_t *u;
            json_array_foreach(items, i, u)
            {
                json_t *un = json_object_get(u, "unit");
                printf("%s\t%s\t%s\t%s\n", json_string_value(json_object_get(u, "login")),
                       json_string_value(json_object_get(u, "role")),
                       json_is_string(un) ? json_string_value(un) : "-",
                       json_string_value(json_object_get(u, "display_name")));
            }
            json_decref(items);
            cursor = next;
        } while (cursor);
    }
    json_decref(out);
    dh_app_close(app);
    return rc;
}
