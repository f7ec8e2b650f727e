/* fuzz.h - helpers shared by the fuzz harnesses in tests/fuzz/ (each one a
 * LLVMFuzzerTestOneInput over one parser that takes outside input; built
 * with libFuzzer by `make fuzz T=NAME`, and with lib/replay.c by `make
 * unit-tests` so that `make test` replays tests/fuzz/corpus/NAME and
 * tests/fuzz/crashes/NAME). A harness fails by aborting: a sanitizer
 * report, or FZ_CHECK on a broken contract (an error without a message, a
 * result out of its documented range). */
#ifndef DH_FUZZ_H
#define DH_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond)                                                                      \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond);     \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* A NUL-terminated malloc'd copy of the input (free it). */
static inline char *fz_cstr(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

#endif
