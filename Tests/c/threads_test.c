/* Scoring and top-k on one trained model from 8 threads at once must give exactly the
 * single-threaded results (the model is read-only; see the @note lines in afme.h). Run for a
 * structural model and for an AFME model, whose scorer shares lazily built projections and a small
 * cache of relation tables between threads (12 relations, 4 cached: the threads keep evicting). */
#define _POSIX_C_SOURCE 200809L
#include "afme.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Calls racing afme_model_free() on the same handle: each must return AFME_OK (it got in first and
 * holds the model until it returns) or AFME_ERR_INVALID_HANDLE — never crash or touch freed memory
 * (run under ASan and TSan by scripts/sanitize.sh). Returns the count of other statuses. */
static void *racer(void *arg) {
    (void)arg;
    long bad = 0;
    /* Until the free is seen, so the free always lands while calls are running. */
    for (int i = 0; i < 1000000; i++) {
        int64_t t[3], ids[K];
        float s, scores[K];
        int64_t n = 0;
        query(i, t);
        afme_status a = afme_model_score(model, t, 1, &s);
        afme_status b = afme_model_topk(model, t[0], t[1], AFME_PREDICT_TAIL, K, NULL, ids, scores, &n);
        bad += (a != AFME_OK && a != AFME_ERR_INVALID_HANDLE) + (b != AFME_OK && b != AFME_ERR_INVALID_HANDLE);
        if (a == AFME_ERR_INVALID_HANDLE && b == AFME_ERR_INVALID_HANDLE) return (void *)bad;
    }
    bad++; /* never saw the free */
    return (void *)bad;
}

static long free_while_in_use(void) {
    pthread_t th[4];
    for (long t = 0; t < 4; t++) pthread_create(&th[t], NULL, racer, NULL);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    long bad = afme_model_free(model) == AFME_OK ? 0 : 1;
    for (int t = 0; t < 4; t++) {
        void *r;
        pthread_join(th[t], &r);
        bad += (long)r;
    }
    return bad;
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
        long bad = free_while_in_use();
        printf("threads_test (%s): %d threads x %d calls, %ld mismatches; freed while in use by 4 threads: %ld bad statuses\n",
               kind == AFME_MODEL_AFME ? "AFME" : "structural", THREADS, CALLS, mismatches, bad);
        failed |= mismatches != 0 || bad != 0;
    }
    afme_dataset_free(dataset);
    return failed;
}
