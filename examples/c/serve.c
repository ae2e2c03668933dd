/* A minimal scoring backend: loads a checkpoint and answers queries from stdin, one per line:
 *   h r ?     top-k tails        ? r t     top-k heads        h r t     the triple's score
 * Ids are integers. Bad lines get an "error:" reply; the process keeps serving.
 * usage: serve MODEL.afme [K] */
#include "afme.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s MODEL.afme [K]\n", argv[0]); return 2; }
    int k = argc > 2 ? atoi(argv[2]) : 5;
    if (k < 1 || k > 1000) k = 5;
    afme_model *model = NULL;
    if (afme_model_load(argv[1], &model) != AFME_OK) { fprintf(stderr, "%s\n", afme_last_error()); return 1; }
    char line[256];
    int64_t ids[1000];
    float scores[1000];
    while (fgets(line, sizeof line, stdin)) {
        char a[64], b[64], c[64];
        if (sscanf(line, "%63s %63s %63s", a, b, c) != 3) { if (line[0] != '\n') printf("error: expected three fields\n"); continue; }
        char *end;
        long long r = strtoll(b, &end, 10);
        if (*end) { printf("error: relation '%s' is not an integer\n", b); continue; }
        afme_status s;
        int64_t n = 0;
        if (strcmp(c, "?") == 0 || strcmp(a, "?") == 0) {
            int tail = strcmp(c, "?") == 0;
            long long e = strtoll(tail ? a : c, &end, 10);
            if (*end) { printf("error: entity is not an integer\n"); continue; }
            s = afme_model_topk(model, e, r, tail ? AFME_PREDICT_TAIL : AFME_PREDICT_HEAD, k, NULL, ids, scores, &n);
            if (s == AFME_OK) {
                printf("%s:", tail ? "tails" : "heads");
                for (int64_t i = 0; i < n; i++) printf(" %lld(%.3f)", (long long)ids[i], scores[i]);
                printf("\n");
            }
        } else {
            int64_t t[3];
            char *e1, *e2;
            t[0] = strtoll(a, &e1, 10); t[1] = r; t[2] = strtoll(c, &e2, 10);
            if (*e1 || *e2) { printf("error: entity is not an integer\n"); continue; }
            s = afme_model_score(model, t, 1, scores);
            if (s == AFME_OK) printf("score: %.4f\n", scores[0]);
        }
        if (s != AFME_OK) printf("error: %s\n", afme_last_error());
        fflush(stdout);
    }
    afme_model_free(model);
    return 0;
}
