/* asset.c - versions of the static files (asset.h). The few contents are
 * compiled in and never change while the process runs, so each version is
 * computed once and kept in a small table keyed by the content's address. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "util/asset.h"

#define ASSETS_MAX 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const char *content;
    char tag[DH_ASSET_TAG_LEN + 1];
} known[ASSETS_MAX];
static int nknown;
static char unknown_tag[DH_ASSET_TAG_LEN + 1]; /* past ASSETS_MAX: a version of its own */

const char *dh_asset_tag(const char *content)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *tag = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nknown && !tag; i++)
        if (known[i].content == content)
            tag = known[i].tag;
    if (!tag) {
        for (const unsigned char *p = (const unsigned char *)content; *p; p++)
            h = (h ^ *p) * 0x100000001b3ULL;
        char *t = nknown < ASSETS_MAX ? known[nknown].tag : unknown_tag;
        snprintf(t, DH_ASSET_TAG_LEN + 1, "%016llx", (unsigned long long)h);
        if (nknown < ASSETS_MAX)
            known[nknown++].content = content;
        tag = t;
    }
    pthread_mutex_unlock(&lock);
    return tag;
}
