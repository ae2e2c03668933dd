/* A minimal scoring backend: loads a checkpoint and answers queries from stdin, one per line:
 *   h r ?     top-k tails        ? r t     top-k heads        h r t     the triple's score
 * Entities and relations are ids or labels (a model trained by libafme 0.3.0 carries its labels). Fields
 * are separated by tabs when the line has one (labels may contain spaces), by spaces otherwise. Answers
 * name entities by label when the model has labels, by id otherwise. Bad lines get an "error:" reply;
 * the process keeps serving.
 * usage: serve MODEL.afme [K] */
#include "afme.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits `line` in place into exactly three fields; 0 if it has another number of fields. */
static int split3(char *line, char *f[3]) {
    line[strcspn(line, "\r\n")] = 0;
    const char *sep = strchr(line, '\t') ? "\t" : " ";
    int n = 0;
    char *p = line;
    while (*p) {
        while (*sep == ' ' && *p == ' ') p++;
        if (!*p) break;
        if (n == 3) return 0;
        f[n++] = p;
        p += strcspn(p, sep);
        if (*p) *p++ = 0;
    }
    return n == 3;
}

/* An id: digits are an id, anything else a label looked up in the model. */
static int resolve(const afme_model *m, const char *field, int relation, int64_t *out) {
    char *end;
    long long v = strtoll(field, &end, 10);
    if (*field && !*end) { *out = v; return 1; }
    afme_status s = relation ? afme_model_relation_id(m, field, out) : afme_model_entity_id(m, field, out);
    if (s != AFME_OK) { printf("error: %s\n", afme_last_error()); return 0; }
    return 1;
}

static void print_entity(const afme_model *m, int labelled, int64_t id) {
    char label[512];
    if (labelled && afme_model_entity_label(m, id, label, sizeof label, NULL) == AFME_OK) printf(" %s", label);
    else printf(" %lld", (long long)id);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s MODEL.afme [K]\n", argv[0]); return 2; }
    int k = argc > 2 ? atoi(argv[2]) : 5;
    if (k < 1 || k > 1000) k = 5;
    afme_model *model = NULL;
    if (afme_model_load(argv[1], &model) != AFME_OK) { fprintf(stderr, "%s\n", afme_last_error()); return 1; }
    int32_t labelled = 0;
    afme_model_has_labels(model, &labelled);
    char line[4096];
    int64_t ids[1000];
    float scores[1000];
    while (fgets(line, sizeof line, stdin)) {
        char *f[3];
        if (!split3(line, f)) { if (line[0]) printf("error: expected three fields\n"); fflush(stdout); continue; }
        int64_t r, e, t[3];
        if (!resolve(model, f[1], 1, &r)) { fflush(stdout); continue; }
        afme_status s;
        if (strcmp(f[2], "?") == 0 || strcmp(f[0], "?") == 0) {
            int tail = strcmp(f[2], "?") == 0;
            if (!resolve(model, tail ? f[0] : f[2], 0, &e)) { fflush(stdout); continue; }
            int64_t n = 0;
            s = afme_model_topk(model, e, r, tail ? AFME_PREDICT_TAIL : AFME_PREDICT_HEAD, k, NULL, ids, scores, &n);
            if (s == AFME_OK) {
                printf("%s:", tail ? "tails" : "heads");
                for (int64_t i = 0; i < n; i++) { print_entity(model, labelled, ids[i]); printf("(%.3f)", scores[i]); }
                printf("\n");
            }
        } else {
            if (!resolve(model, f[0], 0, &t[0]) || !resolve(model, f[2], 0, &t[2])) { fflush(stdout); continue; }
            t[1] = r;
            s = afme_model_score(model, t, 1, scores);
            if (s == AFME_OK) printf("score: %.4f\n", scores[0]);
        }
        if (s != AFME_OK) printf("error: %s\n", afme_last_error());
        fflush(stdout);
    }
    afme_model_free(model);
    return 0;
}
