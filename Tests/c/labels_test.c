/* Models that carry their labels, batch top-k and embeddings (0.3.0):
 * - a trained model answers by label, keeps its labels through save/load, and refuses unknown labels
 *   with AFME_ERR_NOT_FOUND; a 0.2.0 checkpoint loads without labels and says so;
 * - afme_model_topk_batch equals afme_model_topk query by query, bit for bit, for 1 and 2 threads, with
 *   and without a filter, for RotatE and AFME; a bad row is refused before anything is written;
 * - the embeddings reproduce afme_model_score: γ − Σ_d |h_d e^{iφ_d} − t_d| (RotatE), γ − Σ_d |h + r − t| (TransE). */
#include "afme.h"
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define EXPECT(cond, what) do { if (!(cond)) { failures++; printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, what, afme_last_error()); } } while (0)

static afme_model *train(afme_dataset *ds, const char *kind, const char *settings) {
    afme_params *p = NULL;
    afme_model *m = NULL;
    EXPECT(afme_params_create(kind, &p) == AFME_OK, "params");
    EXPECT(afme_params_set_string(p, settings) == AFME_OK, "settings");
    EXPECT(afme_model_train_with(ds, p, NULL, NULL, &m) == AFME_OK, "train");
    afme_params_free(p);
    return m;
}

static void labels(afme_dataset *ds, afme_model *m, const char *dir) {
    int32_t has = -1;
    EXPECT(afme_model_has_labels(m, &has) == AFME_OK && has == 1, "a trained model carries labels");
    char name[256], label[256];
    size_t needed = 0;
    int64_t id = -1;
    EXPECT(afme_dataset_entity_name(ds, 17, name, sizeof name, NULL) == AFME_OK, "dataset name");
    EXPECT(afme_model_entity_id(m, name, &id) == AFME_OK && id == 17, "entity id by label");
    EXPECT(afme_model_entity_label(m, 17, label, sizeof label, &needed) == AFME_OK && strcmp(label, name) == 0 &&
           needed == strlen(name) + 1, "entity label by id");
    EXPECT(afme_dataset_relation_name(ds, 2, name, sizeof name, NULL) == AFME_OK, "relation name");
    EXPECT(afme_model_relation_id(m, name, &id) == AFME_OK && id == 2, "relation id by label");
    EXPECT(afme_model_relation_label(m, 2, label, sizeof label, NULL) == AFME_OK && strcmp(label, name) == 0, "relation label");
    id = 99;
    EXPECT(afme_model_entity_id(m, "no such entity", &id) == AFME_ERR_NOT_FOUND && id == 99, "unknown label: NOT_FOUND, out untouched");
    EXPECT(strstr(afme_last_error(), "no such entity") != NULL, "the message quotes the label");
    EXPECT(afme_model_relation_id(m, "", &id) == AFME_ERR_NOT_FOUND, "empty label");
    EXPECT(afme_model_entity_id(m, NULL, &id) == AFME_ERR_NULL_POINTER, "NULL label");
    EXPECT(afme_model_entity_id(m, "\xff\xfe", &id) == AFME_ERR_INVALID_ARGUMENT, "non-UTF-8 label");
    EXPECT(afme_model_entity_label(m, -1, label, sizeof label, NULL) == AFME_ERR_OUT_OF_RANGE, "id -1");
    char kind[32];
    EXPECT(afme_model_kind_name(m, kind, sizeof kind, NULL) == AFME_OK, "kind name");

    /* Saved and loaded: the labels come back with the model; scores are the same bits. */
    char path[512];
    snprintf(path, sizeof path, "%s/labelled-%s.afme", dir, kind);
    afme_model *back = NULL;
    EXPECT(afme_model_save(m, path) == AFME_OK && afme_model_load(path, &back) == AFME_OK, "save + load");
    EXPECT(afme_dataset_entity_name(ds, 3, name, sizeof name, NULL) == AFME_OK, "name 3");
    EXPECT(afme_model_entity_id(back, name, &id) == AFME_OK && id == 3, "labels survive the checkpoint");
    char kind2[32];
    EXPECT(afme_model_kind_name(back, kind2, sizeof kind2, NULL) == AFME_OK && strcmp(kind, kind2) == 0, "kind survives");
    int64_t t[6] = {0, 1, 2, 5, 0, 9};
    float a[2], b[2];
    EXPECT(afme_model_score(m, t, 2, a) == AFME_OK && afme_model_score(back, t, 2, b) == AFME_OK && memcmp(a, b, sizeof a) == 0,
           "loaded model scores the same bits");
    int64_t n_epochs = -1, n_back = -1;
    afme_epoch_report reports[8];
    EXPECT(afme_model_history(m, NULL, 0, &n_epochs) == AFME_OK && n_epochs >= 1, "a trained model has a history");
    EXPECT(afme_model_history(m, reports, 0, &n_epochs) == AFME_ERR_SHAPE, "history capacity");
    EXPECT(n_epochs <= 8 && afme_model_history(back, reports, 8, &n_back) == AFME_OK && n_back == n_epochs &&
           reports[n_back - 1].epoch == (int32_t)n_back && reports[0].mean_loss > 0, "the history survives the checkpoint");
    afme_model_free(back);
    remove(path);
}

static void batch(afme_dataset *ds, afme_model *m) {
    int64_t E = 0, R = 0;
    afme_model_n_entities(m, &E);
    afme_model_n_relations(m, &R);
    enum { N = 150, K = 7 };
    int64_t q[N * 3];
    for (int i = 0; i < N; i++) { q[3 * i] = (i * 7919) % E; q[3 * i + 1] = (i * 31) % R; q[3 * i + 2] = i % 2; }
    static int64_t ids[N * K], one_ids[K], counts[N];
    static float scores[N * K], one_scores[K];
    for (int threads = 1; threads <= 2; threads++) {
        for (int filtered = 0; filtered <= 1; filtered++) {
            const afme_dataset *ex = filtered ? ds : NULL;
            EXPECT(afme_model_topk_batch(m, q, N, K, ex, threads, ids, scores, N * K, counts) == AFME_OK, "batch");
            int mismatches = 0;
            for (int i = 0; i < N; i++) {
                int64_t n = 0;
                EXPECT(afme_model_topk(m, q[3 * i], q[3 * i + 1], (afme_direction)q[3 * i + 2], K, ex, one_ids, one_scores, &n) == AFME_OK, "one");
                if (n != counts[i] || memcmp(one_ids, ids + i * K, (size_t)n * sizeof(int64_t)) != 0 ||
                    memcmp(one_scores, scores + i * K, (size_t)n * sizeof(float)) != 0) mismatches++;
                for (int64_t c = n; c < K; c++) if (ids[i * K + c] != -1 || !isinf(scores[i * K + c])) mismatches++;
            }
            EXPECT(mismatches == 0, "every batch row equals the single query, bit for bit");
        }
    }
    /* Refusals: nothing written. */
    ids[0] = 12345;
    EXPECT(afme_model_topk_batch(m, q, N, K, NULL, 1, ids, scores, N * K - 1, counts) == AFME_ERR_SHAPE && ids[0] == 12345, "capacity");
    int64_t bad[6] = {0, 0, 0, 1, 0, 2};
    EXPECT(afme_model_topk_batch(m, bad, 2, K, NULL, 1, ids, scores, 2 * K, counts) == AFME_ERR_INVALID_ARGUMENT && ids[0] == 12345,
           "direction 2 refused before anything is written");
    bad[5] = 0; bad[3] = E;
    EXPECT(afme_model_topk_batch(m, bad, 2, K, NULL, 1, ids, scores, 2 * K, counts) == AFME_ERR_OUT_OF_RANGE && ids[0] == 12345, "entity id");
    EXPECT(afme_model_topk_batch(m, q, -1, K, NULL, 1, ids, scores, N * K, counts) == AFME_ERR_INVALID_ARGUMENT, "n = -1");
    EXPECT(afme_model_topk_batch(m, q, N, -1, NULL, 1, ids, scores, N * K, counts) == AFME_ERR_INVALID_ARGUMENT, "k = -1");
    EXPECT(afme_model_topk_batch(m, q, N, K, NULL, -1, ids, scores, N * K, counts) == AFME_ERR_INVALID_ARGUMENT, "threads = -1");
    EXPECT(afme_model_topk_batch(m, NULL, N, K, NULL, 1, ids, scores, N * K, counts) == AFME_ERR_NULL_POINTER, "queries NULL");
    EXPECT(afme_model_topk_batch(m, q, 0, K, NULL, 1, NULL, NULL, 0, NULL) == AFME_OK, "n = 0");
    EXPECT(afme_model_topk_batch(m, q, N, 0, NULL, 1, NULL, NULL, 0, counts) == AFME_OK && counts[0] == 0, "k = 0");
}

/* AFME's modality vectors as fused: the same completed rows under every relation, the rows themselves
 * relation-dependent (the gate), refusals that write nothing. */
static void modality(afme_model *m, afme_model *structural) {
    int64_t E = 0, R = 0, c = 0;
    afme_model_n_entities(m, &E);
    afme_model_n_relations(m, &R);
    EXPECT(afme_model_modality_embeddings(m, "text", 0, NULL, 0, &c, NULL, 0) == AFME_OK && c > 0, "columns");
    int64_t n = -1;
    char name[16];
    size_t needed = 0;
    EXPECT(afme_model_n_modalities(m, &n) == AFME_OK && n == 2, "two modalities");
    EXPECT(afme_model_modality_name(m, 0, name, sizeof name, &needed) == AFME_OK && strcmp(name, "text") == 0, "first: text");
    EXPECT(afme_model_modality_name(m, 1, name, sizeof name, &needed) == AFME_OK && strcmp(name, "image") == 0, "second: image");
    EXPECT(afme_model_modality_name(m, 2, name, sizeof name, &needed) == AFME_ERR_OUT_OF_RANGE, "index out of range");
    EXPECT(afme_model_modality_name(m, -1, name, sizeof name, &needed) == AFME_ERR_OUT_OF_RANGE, "negative index");
    EXPECT(afme_model_n_modalities(structural, &n) == AFME_OK && n == 0, "RotatE reads no modality");
    float *a = malloc(sizeof(float) * (size_t)(E * c)), *b = malloc(sizeof(float) * (size_t)(E * c));
    uint8_t *fa = malloc((size_t)E), *fb = malloc((size_t)E);
    EXPECT(afme_model_modality_embeddings(m, "text", 0, a, E * c, &c, fa, E) == AFME_OK, "relation 0");
    EXPECT(afme_model_modality_embeddings(m, "text", 1, b, E * c, &c, fb, E) == AFME_OK, "relation 1");
    int64_t completed = 0, differ = 0, zeroCompleted = 0;
    for (int64_t e = 0; e < E; e++) {
        completed += fa[e];
        EXPECT(fa[e] == fb[e] && fa[e] <= 1, "an entity lacks a modality under every relation alike");
        double n = 0;
        for (int64_t j = 0; j < c; j++) { differ += a[e * c + j] != b[e * c + j]; n += fabs(a[e * c + j]); }
        if (fa[e] && n == 0) zeroCompleted++;
    }
    EXPECT(completed > 0 && completed < E, "some entities of the synthetic graph lack text, most have it");
    EXPECT(zeroCompleted == 0, "completed rows are the generator's output, not zeros");
    EXPECT(differ > 0, "the relation's gate changes the vectors");
    EXPECT(afme_model_modality_embeddings(m, "nope", 0, NULL, 0, &c, NULL, 0) == AFME_ERR_NOT_FOUND
               && strstr(afme_last_error(), "text"), "unknown name: the message lists the model's modalities");
    EXPECT(afme_model_modality_embeddings(m, NULL, 0, NULL, 0, &c, NULL, 0) == AFME_ERR_NULL_POINTER, "NULL name");
    EXPECT(afme_model_modality_embeddings(m, "text", R, NULL, 0, &c, NULL, 0) == AFME_ERR_OUT_OF_RANGE, "relation id");
    EXPECT(afme_model_modality_embeddings(structural, "text", 0, NULL, 0, &c, NULL, 0) == AFME_ERR_INVALID_ARGUMENT,
           "RotatE has no modalities");
    fa[0] = 7;
    EXPECT(afme_model_modality_embeddings(m, "text", 0, a, E * c - 1, &c, fa, E) == AFME_ERR_SHAPE && fa[0] == 7,
           "rows that do not fit: flags untouched");
    EXPECT(afme_model_modality_embeddings(m, "text", 0, a, E * c, &c, fa, E - 1) == AFME_ERR_SHAPE && fa[0] == 7,
           "flags that do not fit");
    EXPECT(afme_model_modality_embeddings(m, "text", 0, a, E * c, &c, fa, -1) == AFME_ERR_INVALID_ARGUMENT, "negative capacity");
    free(a); free(b); free(fa); free(fb);
}

/* AFME's joint rows under a relation reproduce its scores with the relation's phases (RotatE geometry). */
static void joint(afme_model *m, afme_model *structural, float gamma) {
    int64_t E = 0, R = 0, jc = 0, rc = 0;
    afme_model_n_entities(m, &E);
    afme_model_n_relations(m, &R);
    EXPECT(afme_model_joint_embeddings(structural, 0, NULL, 0, &jc) == AFME_ERR_INVALID_ARGUMENT, "RotatE has no joint rows");
    EXPECT(afme_model_joint_embeddings(m, R, NULL, 0, &jc) == AFME_ERR_OUT_OF_RANGE, "relation out of range");
    EXPECT(afme_model_joint_embeddings(m, 1, NULL, 0, &jc) == AFME_OK && afme_model_relation_embeddings(m, NULL, 0, &rc) == AFME_OK, "columns");
    float *j = malloc(sizeof(float) * (size_t)(E * jc)), *rel = malloc(sizeof(float) * (size_t)(R * rc));
    EXPECT(afme_model_joint_embeddings(m, 1, j, E * jc, &jc) == AFME_OK && afme_model_relation_embeddings(m, rel, R * rc, &rc) == AFME_OK, "rows");
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        int64_t t[3] = {(i * 13) % E, 1, (i * 101 + 7) % E};
        float s = 0;
        afme_model_score(m, t, 1, &s);
        const float *h = j + t[0] * jc, *tl = j + t[2] * jc, *r = rel + rc;
        double dist = 0;
        for (int64_t d = 0; d < rc; d++) {
            double complex a = (h[d] + I * h[rc + d]) * cexp(I * r[d]), c = tl[d] + I * tl[rc + d];
            dist += cabs(a - c);
        }
        double err = fabs((gamma - dist) - s) / (1 + fabs(s));
        if (err > worst) worst = err;
    }
    EXPECT(worst < 1e-4, "the joint rows reproduce afme_model_score");
    free(j); free(rel);
}

/* Scores recomputed from the exported embeddings. */
static void embeddings(afme_model *m, int rotate, float gamma) {
    int64_t E = 0, R = 0, ec = 0, rc = 0;
    afme_model_n_entities(m, &E);
    afme_model_n_relations(m, &R);
    EXPECT(afme_model_entity_embeddings(m, NULL, 0, &ec) == AFME_OK && afme_model_relation_embeddings(m, NULL, 0, &rc) == AFME_OK, "columns");
    EXPECT(ec == (rotate ? 2 * rc : rc), "entity columns");
    float *ent = malloc(sizeof(float) * (size_t)(E * ec)), *rel = malloc(sizeof(float) * (size_t)(R * rc));
    EXPECT(afme_model_entity_embeddings(m, ent, E * ec - 1, &ec) == AFME_ERR_SHAPE, "capacity refused");
    EXPECT(afme_model_entity_embeddings(m, ent, E * ec, &ec) == AFME_OK && afme_model_relation_embeddings(m, rel, R * rc, &rc) == AFME_OK, "tables");
    int64_t D = rc;
    double worst = 0;
    for (int i = 0; i < 40; i++) {
        int64_t t[3] = {(i * 13) % E, i % R, (i * 101 + 7) % E};
        float s = 0;
        EXPECT(afme_model_score(m, t, 1, &s) == AFME_OK, "score");
        const float *h = ent + t[0] * ec, *tl = ent + t[2] * ec, *r = rel + t[1] * rc;
        double dist = 0;
        for (int64_t d = 0; d < D; d++) {
            if (rotate) {
                double complex a = (h[d] + I * h[D + d]) * cexp(I * r[d]), c = tl[d] + I * tl[D + d];
                dist += cabs(a - c);
            } else {
                dist += fabs(h[d] + r[d] - tl[d]);
            }
        }
        double err = fabs((gamma - dist) - s) / (1 + fabs(s));
        if (err > worst) worst = err;
    }
    EXPECT(worst < 1e-4, "the embeddings reproduce afme_model_score");
    free(ent); free(rel);
}

/* Labeled data in: a TSV file with a header, a repeated line and an unseen test label; label arrays; a
 * load report read through a struct of an older, shorter size. */
struct old_report { size_t size; int64_t duplicate_train; };

static void labeled_data(const char *dir) {
    char train[512], test[512];
    snprintf(train, sizeof train, "%s/train.tsv", dir);
    snprintf(test, sizeof test, "%s/test.tsv", dir);
    FILE *f = fopen(train, "w");
    fputs("head\trelation\ttail\nParis\tcapital of\tFrance\nBerlin\tcapital of\tGermany\nParis\tcapital of\tFrance\n"
          "France\tborders\tGermany\n", f);
    fclose(f);
    f = fopen(test, "w");
    fputs("Berlin\tborders\tFrance\r\nRome\tcapital of\tItaly\r\n", f);
    fclose(f);
    afme_dataset *ds = NULL;
    EXPECT(afme_dataset_load_tsv(train, NULL, test, "header=auto unseen=drop", &ds) == AFME_OK, "load tsv");
    int64_t n = 0;
    afme_dataset_n_entities(ds, &n);
    EXPECT(n == 4, "4 entities");
    afme_dataset_n_triples(ds, AFME_SPLIT_TRAIN, &n);
    EXPECT(n == 3, "3 training triples (one repeat dropped)");
    afme_dataset_n_triples(ds, AFME_SPLIT_TEST, &n);
    EXPECT(n == 1, "1 test triple (Rome/Italy unseen)");
    afme_load_report r = {sizeof r, -1, -1, -1};
    EXPECT(afme_dataset_load_report(ds, &r) == AFME_OK && r.size == sizeof r && r.duplicate_train == 1 && r.unseen_valid == 0 &&
           r.unseen_test == 1, "load report");
    struct { struct old_report old; int64_t guard; } small = {{sizeof(struct old_report), -1}, 0x5A5A5A5A};
    EXPECT(afme_dataset_load_report(ds, (afme_load_report *)&small.old) == AFME_OK && small.old.duplicate_train == 1 &&
           small.guard == 0x5A5A5A5A && small.old.size == sizeof(struct old_report), "a shorter struct: only its fields written");
    char name[64];
    EXPECT(afme_dataset_entity_name(ds, 0, name, sizeof name, NULL) == AFME_OK && strcmp(name, "Paris") == 0, "ids by first appearance");
    afme_dataset_free(ds);
    ds = NULL;
    EXPECT(afme_dataset_load_tsv(train, NULL, test, "unseen=refuse", &ds) == AFME_ERR_OUT_OF_RANGE && ds == NULL &&
           strstr(afme_last_error(), "test.tsv:2") && strstr(afme_last_error(), "Rome"), "unseen=refuse: file, line, label");
    EXPECT(afme_dataset_load_tsv(train, NULL, NULL, "colour=blue", &ds) == AFME_ERR_INVALID_ARGUMENT, "unknown option");
    EXPECT(afme_dataset_load_tsv(NULL, NULL, NULL, NULL, &ds) == AFME_ERR_NULL_POINTER, "NULL train path");

    const char *tr[] = {"a", "r", "b", "b", "r", "c"}, *te[] = {"a", "r", "c"};
    EXPECT(afme_dataset_create_from_labels(tr, 2, NULL, 0, te, 1, NULL, &ds) == AFME_OK, "from labels");
    afme_dataset_n_triples(ds, AFME_SPLIT_TEST, &n);
    EXPECT(n == 1, "from labels: test");
    afme_dataset_free(ds);
    const char *holes[] = {"a", NULL, "b"};
    EXPECT(afme_dataset_create_from_labels(holes, 1, NULL, 0, NULL, 0, NULL, &ds) == AFME_ERR_NULL_POINTER, "a NULL label");
    int64_t ids[] = {0, 0, 1, 1, 0, 2};
    const char *names[] = {"x", "y", "x"};
    EXPECT(afme_dataset_create_from_ids(ids, 2, NULL, 0, NULL, 0, 3, 1, names, NULL, &ds) == AFME_ERR_OUT_OF_RANGE, "repeated label");
    EXPECT(afme_dataset_create_from_ids(ids, 2, NULL, 0, NULL, 0, 2, 1, NULL, NULL, &ds) == AFME_ERR_OUT_OF_RANGE, "id 2 of 2 entities");
    EXPECT(afme_dataset_create_from_ids(ids, 2, NULL, 0, NULL, 0, 3, 1, NULL, NULL, &ds) == AFME_OK, "from ids");
    afme_dataset *split = NULL;
    EXPECT(afme_dataset_split(ds, NAN, 0.1, 1, &split) == AFME_ERR_NON_FINITE, "NaN fraction");
    EXPECT(afme_dataset_split(ds, 0.5, 0.5, 1, &split) == AFME_ERR_INVALID_ARGUMENT, "fractions summing to 1");
    float feats[6] = {1, 2, 3, 4, 5, 6};
    const char *rows[] = {"e2", "ghost"};
    int64_t unknown = -1;
    EXPECT(afme_dataset_add_modality_labeled(ds, "text", feats, 2, 3, rows, 0, &unknown) == AFME_OK && unknown == 1, "features by label");
    EXPECT(afme_dataset_add_modality_labeled(ds, "text2", feats, 2, 3, rows, 1, &unknown) == AFME_ERR_OUT_OF_RANGE, "refuse unknown");
    afme_dataset_n_modalities(ds, &n);
    EXPECT(n == 1, "the refused modality was not added");
    afme_dataset_free(ds);
    remove(train); remove(test);
}

static int stop_after_two(const afme_epoch_report *r, void *user) { (void)user; return r->epoch >= 2; }

/* A run stopped by its callback, saved, loaded and resumed scores as the uninterrupted run, bit for bit;
 * the loaded model is left as it was; refusals. */
static void resume(afme_dataset *ds, const char *dir) {
    const char *settings = "dim=16 negatives=8 batch_size=128 epochs=4 validate_every=2 patience=0 seed=7 threads=2";
    afme_params *p = NULL;
    afme_model *full = NULL, *stopped = NULL, *loaded = NULL, *resumed = NULL;
    EXPECT(afme_params_create("rotate", &p) == AFME_OK && afme_params_set_string(p, settings) == AFME_OK, "params");
    EXPECT(afme_model_train_with(ds, p, NULL, NULL, &full) == AFME_OK, "uninterrupted");
    EXPECT(afme_model_train_with(ds, p, stop_after_two, NULL, &stopped) == AFME_ERR_CANCELLED && stopped, "stopped");
    afme_params_free(p);
    int32_t can = -1;
    EXPECT(afme_model_can_resume(full, &can) == AFME_OK && can == 0, "a finished run has no resume state");
    EXPECT(afme_model_can_resume(stopped, &can) == AFME_OK && can == 1, "a stopped run has one");
    char path[512];
    snprintf(path, sizeof path, "%s/stopped.afme", dir);
    EXPECT(afme_model_save(stopped, path) == AFME_OK && afme_model_load(path, &loaded) == AFME_OK, "saved and loaded");
    EXPECT(afme_model_can_resume(loaded, &can) == AFME_OK && can == 1, "the state survives the file");
    float before = 0, after = 0, expected = 0, got = 0;
    int64_t t[3] = {1, 2, 3};
    afme_model_score(loaded, t, 1, &before);
    EXPECT(afme_model_resume(loaded, ds, 0, NULL, NULL, &resumed) == AFME_OK && resumed, "resumed");
    afme_model_score(loaded, t, 1, &after);
    EXPECT(before == after, "the loaded model is unchanged");
    int64_t E = 0;
    afme_model_n_entities(full, &E);
    int same = 1;
    for (int64_t i = 0; i < 50; i++) {
        int64_t q[3] = {i % E, i % 6, (i * 37 + 11) % E};
        afme_model_score(full, q, 1, &expected);
        afme_model_score(resumed, q, 1, &got);
        same &= memcmp(&expected, &got, sizeof got) == 0;
    }
    EXPECT(same, "resumed scores equal the uninterrupted run's, bit for bit");
    afme_model *none = NULL;
    EXPECT(afme_model_resume(full, ds, 0, NULL, NULL, &none) == AFME_ERR_INVALID_ARGUMENT && !none
               && strstr(afme_last_error(), "no resume state"), "no state: refused");
    EXPECT(afme_model_resume(loaded, ds, 2, NULL, NULL, &none) == AFME_ERR_INVALID_ARGUMENT && !none, "no new epochs");
    EXPECT(afme_model_resume(loaded, ds, -1, NULL, NULL, &none) == AFME_ERR_INVALID_ARGUMENT, "negative epochs");
    EXPECT(afme_model_resume(loaded, NULL, 0, NULL, NULL, &none) == AFME_ERR_NULL_POINTER, "NULL dataset");
    EXPECT(afme_model_resume(loaded, ds, 0, NULL, NULL, NULL) == AFME_ERR_NULL_POINTER, "NULL out");
    EXPECT(afme_model_can_resume(loaded, NULL) == AFME_ERR_NULL_POINTER, "NULL out (can_resume)");
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = 300; sp.n_relations = 6; sp.seed = 1234;
    afme_dataset *other = NULL;
    EXPECT(afme_dataset_create_synthetic(&sp, &other) == AFME_OK, "another dataset");
    EXPECT(afme_model_resume(loaded, other, 0, NULL, NULL, &none) != AFME_OK && !none, "another dataset: refused");
    afme_dataset_free(other);
    afme_model_free(full); afme_model_free(stopped); afme_model_free(loaded); afme_model_free(resumed);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    /* "light" (under valgrind): a smaller graph and one epoch; the calls checked are the same. */
    int light = argc > 2 && strcmp(argv[2], "light") == 0;
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = light ? 60 : 300; sp.n_relations = 6;
    if (light) { sp.text_dim = 8; sp.image_dim = 4; }
    afme_dataset *ds = NULL;
    EXPECT(afme_dataset_create_synthetic(&sp, &ds) == AFME_OK, "synthetic");
    afme_model *rotate = train(ds, "rotate", "dim=16 negatives=8 batch_size=256 epochs=3 validate_every=0 seed=3 gamma=6");
    afme_model *transe = train(ds, "transe", "dim=12 negatives=8 batch_size=256 epochs=3 validate_every=0 seed=3 gamma=6");
    afme_model *afme = train(ds, "afme", light ? "dim=8 negatives=4 batch_size=256 epochs=1 validate_every=0 seed=3 attention_layers=1 "
                                                 "attention_tokens=2 noise_dim=2 discriminator_hidden=4 adversarial_samples=16"
                                               : "dim=16 negatives=8 batch_size=256 epochs=2 validate_every=0 seed=3 attention_tokens=2 "
                                                 "noise_dim=4 discriminator_hidden=8");
    labeled_data(dir);
    if (!light) resume(ds, dir);
    labels(ds, rotate, dir);
    labels(ds, afme, dir);
    batch(ds, rotate);
    batch(ds, afme);
    embeddings(rotate, 1, 6);
    embeddings(transe, 0, 6);
    joint(afme, rotate, 4);
    modality(afme, rotate);

    /* A 0.2.0 checkpoint: loads, scores, has no labels, and says so when asked for one. */
    afme_model *old = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s", "Tests/fixtures/v0.2.0-structural-rotate.afme");
    EXPECT(afme_model_load(path, &old) == AFME_OK, "0.2.0 fixture loads (run from the repository root)");
    if (old) {
        int32_t has = -1;
        int64_t id = 0;
        char kind[32];
        EXPECT(afme_model_has_labels(old, &has) == AFME_OK && has == 0, "no labels in a 0.2.0 file");
        EXPECT(afme_model_entity_id(old, "e0", &id) == AFME_ERR_INVALID_ARGUMENT && strstr(afme_last_error(), "no labels"), "asked, it says so");
        EXPECT(afme_model_kind_name(old, kind, sizeof kind, NULL) == AFME_OK && strcmp(kind, "rotate") == 0, "its kind by name");
    }
    afme_model_free(old);
    afme_model_free(rotate); afme_model_free(transe); afme_model_free(afme);
    afme_dataset_free(ds);
    printf("labels_test: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures != 0;
}
