/* Scoring and top-k on one trained model from 8 threads at once must give exactly the
 * single-threaded results (the model is read-only; see the @note lines in afme.h). Run for a
 * structural model and for an AFME model, whose scorer shares lazily built projections and a small
 * cache of relation tables between threads (12 relations, 4 cached: the threads keep evicting). */
#define _POSIX_C_SOURCE 200809L
#include "afme.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 8
#define CALLS 200
#define K 10

static afme_model *model;
static afme_dataset *dataset;
static int64_t n_entities, n_relations;
static float ref_scores[CALLS];
static int64_t ref_ids[CALLS][K];

static void query(int i, int64_t triple[3]) {
    triple[0] = (i * 7919) % n_entities;
    triple[1] = i % n_relations;
    triple[2] = (i * 104729 + 13) % n_entities;
}

static int run_one(int i, float *score, int64_t ids[K]) {
    int64_t t[3];
    query(i, t);
    float scores[K];
    int64_t n = 0;
    if (afme_model_score(model, t, 1, score) != AFME_OK) return 0;
    if (afme_model_topk(model, t[0], t[1], i % 2 ? AFME_PREDICT_HEAD : AFME_PREDICT_TAIL, K,
                        i % 3 ? dataset : NULL, ids, scores, &n) != AFME_OK) return 0;
    return n == K;
}

static void *worker(void *arg) {
    long id = (long)arg;
    long mismatches = 0;
    for (int rep = 0; rep < CALLS; rep++) {
        int i = (int)((rep + id * 37) % CALLS);
        float s;
        int64_t ids[K];
        if (!run_one(i, &s, ids) || s != ref_scores[i] || memcmp(ids, ref_ids[i], sizeof ids) != 0) mismatches++;
    }
    return (void *)mismatches;
}

static long run_threads(void) {
    for (int i = 0; i < CALLS; i++) {
        if (!run_one(i, &ref_scores[i], ref_ids[i])) { fprintf(stderr, "reference call failed: %s\n", afme_last_error()); return -1; }
    }
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, (void *)t);
    long mismatches = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        mismatches += (long)r;
    }
    return mismatches;
}

int main(void) {
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = 1000;
    if (afme_dataset_create_synthetic(&sp, &dataset) != AFME_OK) { fprintf(stderr, "setup failed: %s\n", afme_last_error()); return 1; }
    int failed = 0;
    for (int kind = AFME_MODEL_STRUCTURAL; kind <= AFME_MODEL_AFME; kind++) {
        afme_train_params tp = afme_train_default_params();
        tp.model_kind = kind;
        tp.dim = kind == AFME_MODEL_AFME ? 16 : 32; tp.epochs = kind == AFME_MODEL_AFME ? 2 : 5; tp.validate_every = 0;
        tp.attention_layers = 1;
        if (afme_model_train(dataset, &tp, NULL, NULL, &model) != AFME_OK) {
            fprintf(stderr, "setup failed: %s\n", afme_last_error());
            return 1;
        }
        afme_model_n_entities(model, &n_entities);
        afme_model_n_relations(model, &n_relations);
        long mismatches = run_threads();
        afme_model_free(model);
        printf("threads_test (%s): %d threads x %d calls, %ld mismatches\n", kind == AFME_MODEL_AFME ? "AFME" : "structural",
               THREADS, CALLS, mismatches);
        failed |= mismatches != 0;
    }
    afme_dataset_free(dataset);
    return failed;
}
