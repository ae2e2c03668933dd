/* Drives the C API of the shipped libafme.so: a real training run, scoring, top-k, evaluation, and
 * every class of bad argument (NULL, negative or huge lengths, out-of-range ids, bad enums, NaN/Inf,
 * non-UTF-8 paths, freed handles). Every bad call must return its documented status and leave a
 * message; none may crash the process. Prints "N passed, M failed" and exits nonzero on failure. */
#include "afme.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0, failed = 0;

#define EXPECT(cond, what)                                                               \
    do {                                                                                 \
        if (cond) { passed++; }                                                          \
        else { failed++; fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, what, afme_last_error()); } \
    } while (0)

#define EXPECT_STATUS(call, want)                                                        \
    do {                                                                                 \
        afme_status got_ = (call);                                                       \
        EXPECT(got_ == (want), #call " returned the wrong status");                      \
        if (got_ != AFME_OK) EXPECT(strlen(afme_last_error()) > 0, #call " left no message"); \
    } while (0)

static int stop_after_two(const afme_epoch_report *r, void *user) {
    int *calls = (int *)user;
    (*calls)++;
    return r->epoch >= 2;
}

/* A one-rank group: the sum over one rank is the values themselves. Counts its calls. */
static int sum_alone(float *values, int64_t count, void *user) {
    (void)values; (void)count;
    (*(int *)user)++;
    return 0;
}
static int sum_fails(float *values, int64_t count, void *user) {
    (void)values; (void)count; (void)user;
    return 1;
}

int main(void) {
    EXPECT(strcmp(afme_version(), AFME_VERSION_STRING) == 0, "version string matches the header");

    afme_dataset *ds = NULL;
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = 500;
    EXPECT_STATUS(afme_dataset_create_synthetic(&sp, &ds), AFME_OK);
    int64_t ne = 0, nr = 0, ntrain = 0, nm = 0;
    EXPECT_STATUS(afme_dataset_n_entities(ds, &ne), AFME_OK);
    EXPECT_STATUS(afme_dataset_n_relations(ds, &nr), AFME_OK);
    EXPECT_STATUS(afme_dataset_n_triples(ds, AFME_SPLIT_TRAIN, &ntrain), AFME_OK);
    EXPECT_STATUS(afme_dataset_n_modalities(ds, &nm), AFME_OK);
    EXPECT(ne == 500 && nr == 12 && ntrain > 1000 && nm == 2, "synthetic dataset sizes");

    /* Training with a progress callback that stops after epoch 2. */
    afme_train_params tp = afme_train_default_params();
    tp.dim = 64; tp.epochs = 50; tp.learning_rate = 0.003f; tp.negatives = 16; tp.batch_size = 256; tp.validate_every = 0;
    int calls = 0;
    afme_model *model = NULL;
    EXPECT_STATUS(afme_model_train(ds, &tp, stop_after_two, &calls, &model), AFME_ERR_CANCELLED);
    EXPECT(model != NULL && calls == 2, "a cancelled training still returns the model");
    afme_model_free(model);
    model = NULL;
    tp.epochs = 150;
    EXPECT_STATUS(afme_model_train(ds, &tp, NULL, NULL, &model), AFME_OK);

    afme_metrics both, tail, head;
    EXPECT_STATUS(afme_model_evaluate(model, ds, AFME_SPLIT_TEST, AFME_TIES_REALISTIC, 2, &both, &tail, &head), AFME_OK);
    printf("abi_test: synthetic test MRR %.4f (random %.4f)\n", both.mrr, 2.0 / (double)ne);
    EXPECT(both.mrr > 20.0 / (double)ne, "trained model beats random by a wide margin");
    EXPECT(both.count == tail.count + head.count, "both = tail + head");

    /* Evaluation with options: full ranking equals afme_model_evaluate; a sampled one (OGB wikikg2) is
     * the same for any thread count, higher than the full MRR with 20 of 500 candidates, and refused when
     * the options are malformed. */
    {
        afme_eval_options eo = afme_eval_default_options();
        afme_metrics full, s1, s2, s3;
        EXPECT(eo.struct_size == sizeof eo && eo.sampled_candidates == 0, "eval defaults");
        eo.threads = 2;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &eo, &full, NULL, NULL), AFME_OK);
        EXPECT(memcmp(&full, &both, sizeof full) == 0, "full ranking with options == afme_model_evaluate");
        eo.sampled_candidates = 20; eo.seed = 7; eo.threads = 1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &eo, &s1, NULL, NULL), AFME_OK);
        eo.threads = 2;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &eo, &s2, NULL, NULL), AFME_OK);
        EXPECT(memcmp(&s1, &s2, sizeof s1) == 0, "a sampled evaluation does not depend on the thread count");
        EXPECT(s1.count == full.count && s1.mrr > full.mrr && s1.mr <= 21, "sampled ranks are among 21");
        printf("abi_test: full MRR %.4f, sampled-20 MRR %.4f\n", full.mrr, s1.mrr);
        eo.keep_known = 1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &eo, &s3, NULL, NULL), AFME_OK);
        EXPECT(s3.mrr <= s1.mrr, "known answers as competitors cannot raise the MRR");
        afme_eval_options bad_eo = eo;
        bad_eo.keep_known = 2;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.sampled_candidates = -1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.sampled_candidates = ((int64_t)1 << 24) + 1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.reserved = 1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.ties = 9;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.threads = -1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        bad_eo = eo; bad_eo.struct_size = 8;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &bad_eo, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, NULL, &s3, NULL, NULL), AFME_ERR_NULL_POINTER);
        /* A newer caller's longer struct: accepted when its extra fields are zero. */
        struct { afme_eval_options o; uint64_t extra; } longer;
        memset(&longer, 0, sizeof longer);
        longer.o = eo; longer.o.struct_size = sizeof longer;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &longer.o, &s3, NULL, NULL), AFME_OK);
        longer.extra = 1;
        EXPECT_STATUS(afme_model_evaluate_with(model, ds, AFME_SPLIT_TEST, &longer.o, &s3, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
    }

    int64_t triples[6] = {0, 0, 1, 2, 1, 3};
    float scores[2] = {0, 0};
    EXPECT_STATUS(afme_model_score(model, triples, 2, scores), AFME_OK);
    EXPECT(isfinite(scores[0]) && isfinite(scores[1]), "finite scores");
    int64_t ids[5];
    float top[5];
    int64_t n = 0;
    EXPECT_STATUS(afme_model_topk(model, 0, 0, AFME_PREDICT_TAIL, 5, ds, ids, top, &n), AFME_OK);
    EXPECT(n == 5 && top[0] >= top[4], "top-k sorted");

    char name[8];
    size_t needed = 0;
    EXPECT_STATUS(afme_dataset_entity_name(ds, 123, name, sizeof name, &needed), AFME_OK);
    EXPECT(strcmp(name, "e123") == 0 && needed == 5, "entity name");
    EXPECT_STATUS(afme_dataset_entity_name(ds, 123, name, 2, &needed), AFME_OK);
    EXPECT(strcmp(name, "e") == 0, "truncated name stays NUL-terminated");
    EXPECT_STATUS(afme_dataset_relation_name(ds, 2, name, (size_t)-1, &needed), AFME_OK); /* size_t above INT64_MAX */
    EXPECT(strcmp(name, "r2") == 0 && needed == 3, "relation name with a huge size");
    EXPECT_STATUS(afme_dataset_relation_name(ds, 12, name, sizeof name, NULL), AFME_ERR_OUT_OF_RANGE);

    /* Checkpoints: file and buffer round trips score bit-identically; corruption is refused. */
    {
        const char *path = "/tmp/afme_abi_test.afme";
        afme_model *loaded = NULL;
        float again[2];
        EXPECT_STATUS(afme_model_save(model, path), AFME_OK);
        EXPECT_STATUS(afme_model_load(path, &loaded), AFME_OK);
        EXPECT_STATUS(afme_model_score(loaded, triples, 2, again), AFME_OK);
        EXPECT(memcmp(again, scores, sizeof again) == 0, "loaded model scores bit-identically");
        afme_model_free(loaded);
        loaded = NULL;
        size_t size = 0, written = 0;
        EXPECT_STATUS(afme_model_serialized_size(model, &size), AFME_OK);
        static uint8_t buf[1 << 20];
        EXPECT(size <= sizeof buf, "buffer large enough for the test model");
        EXPECT_STATUS(afme_model_save_to_buffer(model, buf, size - 1, &written), AFME_ERR_SHAPE);
        EXPECT_STATUS(afme_model_save_to_buffer(model, buf, size, &written), AFME_OK);
        EXPECT(written == size, "written = serialized size");
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &loaded), AFME_OK);
        EXPECT_STATUS(afme_model_score(loaded, triples, 2, again), AFME_OK);
        EXPECT(memcmp(again, scores, sizeof again) == 0, "buffer round trip scores bit-identically");
        afme_model_free(loaded);
        loaded = NULL;
        buf[written / 2] ^= 0x01;
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &loaded), AFME_ERR_FORMAT);
        EXPECT(strstr(afme_last_error(), "checksum") != NULL, "bit flip reported as checksum mismatch");
        buf[written / 2] ^= 0x01;
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written - 100, &loaded), AFME_ERR_FORMAT);
        buf[8] = 99;
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &loaded), AFME_ERR_FORMAT);
        EXPECT(strstr(afme_last_error(), "version") != NULL, "wrong version reported as such");
        buf[0] = 'Z';
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &loaded), AFME_ERR_FORMAT);
        EXPECT_STATUS(afme_model_load_from_buffer(NULL, 10, &loaded), AFME_ERR_NULL_POINTER);
        EXPECT_STATUS(afme_model_load("/nonexistent/m.afme", &loaded), AFME_ERR_IO);
        EXPECT(loaded == NULL, "failed loads leave the output untouched");
        EXPECT_STATUS(afme_model_save(model, "/nonexistent/dir/m.afme"), AFME_ERR_IO);
        remove(path);
    }

    /* NULL pointers. */
    EXPECT_STATUS(afme_dataset_create_synthetic(&sp, NULL), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_dataset_load_openke(NULL, &ds), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_dataset_n_entities(NULL, &ne), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_dataset_n_entities(ds, NULL), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_model_score(model, NULL, 2, scores), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_model_score(model, triples, 2, NULL), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_model_topk(model, 0, 0, AFME_PREDICT_TAIL, 5, NULL, NULL, top, &n), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_model_train(NULL, &tp, NULL, NULL, &model), AFME_ERR_NULL_POINTER);
    EXPECT_STATUS(afme_dataset_add_modality(ds, "x", NULL, ne, 4, NULL), AFME_ERR_NULL_POINTER);

    /* Lengths and ids. */
    EXPECT_STATUS(afme_model_score(model, triples, -1, scores), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_model_score(model, triples, (int64_t)1 << 62, scores), AFME_ERR_INVALID_ARGUMENT);
    int64_t bad[3] = {0, 0, 500};
    EXPECT_STATUS(afme_model_score(model, bad, 1, scores), AFME_ERR_OUT_OF_RANGE);
    bad[1] = -1; bad[2] = 1;
    EXPECT_STATUS(afme_model_score(model, bad, 1, scores), AFME_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(afme_model_topk(model, 500, 0, AFME_PREDICT_TAIL, 5, NULL, ids, top, &n), AFME_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(afme_model_topk(model, 0, 12, AFME_PREDICT_TAIL, 5, NULL, ids, top, &n), AFME_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(afme_model_topk(model, 0, 0, (afme_direction)7, 5, NULL, ids, top, &n), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_model_topk(model, 0, 0, AFME_PREDICT_HEAD, -5, NULL, ids, top, &n), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_dataset_entity_name(ds, -1, name, sizeof name, NULL), AFME_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(afme_dataset_n_triples(ds, (afme_split)3, &ntrain), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_model_evaluate(model, ds, AFME_SPLIT_TEST, (afme_ties)9, 1, &both, NULL, NULL), AFME_ERR_INVALID_ARGUMENT);
    float feats[8] = {0};
    EXPECT_STATUS(afme_dataset_add_modality(ds, "x", feats, 2, 4, NULL), AFME_ERR_SHAPE);
    EXPECT_STATUS(afme_dataset_add_modality(ds, "x", feats, ne, -4, NULL), AFME_ERR_INVALID_ARGUMENT);

    /* Numbers. */
    afme_dataset *tmp = NULL;
    afme_train_params badp = tp;
    badp.learning_rate = NAN;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_NON_FINITE);
    badp = tp; badp.gamma = INFINITY;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_NON_FINITE);
    badp = tp; badp.dim = -3;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_INVALID_ARGUMENT);
    badp = tp; badp.score_function = 42;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_INVALID_ARGUMENT);
    badp = tp; badp.batch_size = 1 << 20; badp.negatives = 4096;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_INVALID_ARGUMENT);
    badp = tp; badp.dim = 65536; badp.negatives = 4096;
    EXPECT_STATUS(afme_model_train(ds, &badp, NULL, NULL, &model), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_dataset_add_modality(ds, "x", feats, ne, ((int64_t)1 << 20) + 1, NULL), AFME_ERR_INVALID_ARGUMENT);
    afme_synthetic_params bads = sp;
    bads.n_entities = 100000; bads.facts_per_entity = 1000;
    EXPECT_STATUS(afme_dataset_create_synthetic(&bads, &tmp), AFME_ERR_INVALID_ARGUMENT);
    bads = sp;
    bads.feature_noise = NAN;
    EXPECT_STATUS(afme_dataset_create_synthetic(&bads, &tmp), AFME_ERR_NON_FINITE);
    bads = sp; bads.n_entities = 100000; bads.facts_per_entity = 1; bads.text_dim = 65536; /* 26 GB of features */
    EXPECT_STATUS(afme_dataset_create_synthetic(&bads, &tmp), AFME_ERR_INVALID_ARGUMENT);
    bads = sp; bads.n_entities = -10;
    EXPECT_STATUS(afme_dataset_create_synthetic(&bads, &tmp), AFME_ERR_INVALID_ARGUMENT);
    EXPECT(tmp == NULL, "failed create leaves the output untouched");
    /* The scale generator: bad specs refused by name, a good one builds the graph it says. */
    EXPECT_STATUS(afme_dataset_create_scale("entities=5", NULL, &tmp), AFME_ERR_INVALID_ARGUMENT);
    EXPECT(strstr(afme_last_error(), "entities") != NULL, "the message names the bad key");
    EXPECT_STATUS(afme_dataset_create_scale("bogus=1", NULL, &tmp), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_dataset_create_scale("entities=1000 relations=7 triples=5000", NULL, NULL), AFME_ERR_NULL_POINTER);
    EXPECT(tmp == NULL, "failed scale create leaves the output untouched");
    EXPECT_STATUS(afme_dataset_create_scale("entities=1000 relations=7 triples=5000 valid=100 test=100", "/nonexistent/dir", &tmp), AFME_ERR_IO);
    EXPECT_STATUS(afme_dataset_create_scale("entities=1000, relations=7, triples=5000, valid=100, test=100", NULL, &tmp), AFME_OK);
    {
        int64_t n = 0;
        EXPECT_STATUS(afme_dataset_n_entities(tmp, &n), AFME_OK);
        EXPECT(n == 1000, "scale graph entity count");
        EXPECT_STATUS(afme_dataset_n_relations(tmp, &n), AFME_OK);
        EXPECT(n == 7, "scale graph relation count");
        afme_dataset_free(tmp);
        tmp = NULL;
    }

    /* Files and paths. */
    EXPECT_STATUS(afme_dataset_load_openke("/nonexistent/folder", &tmp), AFME_ERR_IO);
    const char not_utf8[] = {'/', 't', 'm', 'p', '/', (char)0xff, (char)0xfe, 0};
    EXPECT_STATUS(afme_dataset_load_openke(not_utf8, &tmp), AFME_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(afme_dataset_add_modality_npy(ds, "x", "/nonexistent.npy", NULL, 0), AFME_ERR_IO);

    /* AFME: trains on the synthetic dataset's two feature modalities, reports weights, round-trips. */
    {
        afme_train_params ap = afme_train_default_params();
        ap.model_kind = AFME_MODEL_AFME;
        ap.dim = 16; ap.epochs = 3; ap.negatives = 8; ap.batch_size = 256; ap.validate_every = 0;
        ap.attention_layers = 1; ap.threads = 2;
        afme_model *am = NULL;
        EXPECT_STATUS(afme_model_train(ds, &ap, NULL, NULL, &am), AFME_OK);
        int32_t kind = -1;
        EXPECT_STATUS(afme_model_kind_of(am, &kind), AFME_OK);
        EXPECT(kind == AFME_MODEL_AFME, "AFME model kind");
        int64_t cols = 0;
        EXPECT_STATUS(afme_model_modality_weights(am, NULL, 0, &cols), AFME_OK);
        EXPECT(cols == 3, "structure + 2 modalities");
        float w[12 * 3];
        EXPECT_STATUS(afme_model_modality_weights(am, w, 5, &cols), AFME_ERR_SHAPE);
        EXPECT_STATUS(afme_model_modality_weights(am, w, 12 * 3, &cols), AFME_OK);
        EXPECT(fabsf(w[0] + w[1] + w[2] - 1.0f) < 1e-4f && fabsf(w[33] + w[34] + w[35] - 1.0f) < 1e-4f, "weights sum to 1 per relation");
        EXPECT_STATUS(afme_model_modality_weights(model, w, 12 * 3, &cols), AFME_ERR_INVALID_ARGUMENT);
        int64_t tr[6] = {0, 0, 1, 2, 1, 3};
        float s1[2], s2[2];
        EXPECT_STATUS(afme_model_score(am, tr, 2, s1), AFME_OK);
        EXPECT(isfinite(s1[0]) && isfinite(s1[1]), "AFME scores finite");
        size_t size = 0, written = 0;
        EXPECT_STATUS(afme_model_serialized_size(am, &size), AFME_OK);
        uint8_t *buf = (uint8_t *)malloc(size);
        EXPECT_STATUS(afme_model_save_to_buffer(am, buf, size, &written), AFME_OK);
        afme_model *back = NULL;
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &back), AFME_OK);
        EXPECT_STATUS(afme_model_score(back, tr, 2, s2), AFME_OK);
        EXPECT(s1[0] == s2[0] && s1[1] == s2[1], "AFME checkpoint scores bit-identically");
        buf[written / 2] ^= 0x40;
        afme_model *bad = NULL;
        EXPECT_STATUS(afme_model_load_from_buffer(buf, written, &bad), AFME_ERR_FORMAT);
        EXPECT(bad == NULL, "corrupt AFME checkpoint refused, output untouched");
        free(buf);
        afme_model_free(back);
        afme_model_free(am);
        afme_model *none = NULL;
        /* Each field set to a bad value alone must be refused with its status, then put back. */
#define EXPECT_TRAIN_REFUSED(field, bad, good, want)                                       \
    do {                                                                                   \
        ap.field = (bad);                                                                  \
        EXPECT_STATUS(afme_model_train(ds, &ap, NULL, NULL, &none), want);                 \
        ap.field = (good);                                                                 \
    } while (0)
        EXPECT_TRAIN_REFUSED(attention_layers, 9, 1, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(attention_tokens, 7, 8, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(lambda_penalty, NAN, 1e-3f, AFME_ERR_NON_FINITE);
        EXPECT_TRAIN_REFUSED(fusion, 7, 0, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(model_kind, 5, AFME_MODEL_AFME, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(denoise_strength, 2, 1, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(completion_dropout, 1, 0, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(completion_dropout, INFINITY, 0, AFME_ERR_NON_FINITE);
        EXPECT_TRAIN_REFUSED(synthetic_negative_weight, -1, 0, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(synthetic_negative_weight, NAN, 0, AFME_ERR_NON_FINITE);
        EXPECT_TRAIN_REFUSED(noise_scale, -1, 1, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(negative_pool, 0, 1, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(negative_pool, 65, 1, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(placement_neighbors, 257, 10, AFME_ERR_INVALID_ARGUMENT);
        EXPECT_TRAIN_REFUSED(placement_keep, NAN, 0.5f, AFME_ERR_NON_FINITE);
        EXPECT_TRAIN_REFUSED(placement_keep, -0.5f, 0.5f, AFME_ERR_INVALID_ARGUMENT);
#undef EXPECT_TRAIN_REFUSED
        /* Layers that could not be allocated are refused before anything is built: at dim 65536 each
           W×W layer alone is 2^34 floats, though the tables and the one-triple batch are small. */
        ap.dim = 65536; ap.batch_size = 1; ap.negatives = 1;
        EXPECT_STATUS(afme_model_train(ds, &ap, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        ap.dim = 16; ap.batch_size = 256; ap.negatives = 8;
        EXPECT(none == NULL, "refused AFME training leaves the output untouched");
        EXPECT_STATUS(afme_model_kind_of(model, &kind), AFME_OK);
        EXPECT(kind == AFME_MODEL_STRUCTURAL, "structural model kind");
        EXPECT_STATUS(afme_model_kind_of(model, NULL), AFME_ERR_NULL_POINTER);
    }

    /* Data-parallel training: one rank equals the ordinary run; bad groups and a failing sum are refused. */
    {
        afme_params *pp = NULL;
        EXPECT_STATUS(afme_params_create("rotate", &pp), AFME_OK);
        EXPECT_STATUS(afme_params_set_string(pp, "dim=16 epochs=3 negatives=8 batch_size=256 validate_every=0 threads=1"), AFME_OK);
        afme_model *plain = NULL, *alone = NULL, *none = NULL;
        int sums = 0;
        afme_collective group = {sizeof(afme_collective), 0, 1, sum_alone, &sums};
        EXPECT_STATUS(afme_model_train_with(ds, pp, NULL, NULL, &plain), AFME_OK);
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &group, NULL, NULL, &alone), AFME_OK);
        float a[3], b[3];
        int64_t some[9] = {0, 0, 1, 2, 1, 3, 4, 2, 5};
        EXPECT_STATUS(afme_model_score(plain, some, 3, a), AFME_OK);
        EXPECT_STATUS(afme_model_score(alone, some, 3, b), AFME_OK);
        EXPECT(memcmp(a, b, sizeof a) == 0 && sums == 0, "one rank trains as the ordinary run, without a sum");
        group.world_size = 2;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &group, NULL, NULL, &none), AFME_OK);
        EXPECT(sums > 0, "two ranks sum after every round");
        afme_model_free(none); none = NULL;
        afme_collective bad = group;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, NULL, NULL, NULL, &none), AFME_ERR_NULL_POINTER);
        bad.struct_size = 8;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &bad, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        bad = group; bad.rank = 2;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &bad, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        EXPECT(strstr(afme_last_error(), "rank") != NULL, "the message names the rank");
        bad = group; bad.world_size = 0;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &bad, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        bad = group; bad.allreduce_sum = NULL;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &bad, NULL, NULL, &none), AFME_ERR_NULL_POINTER);
        bad = group; bad.allreduce_sum = sum_fails;
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &bad, NULL, NULL, &none), AFME_ERR_IO);
        EXPECT(strstr(afme_last_error(), "all-reduce failed in epoch 1") != NULL, "the message names the epoch");
        EXPECT(none == NULL, "a failed distributed run leaves the output untouched");
        EXPECT_STATUS(afme_params_set(pp, "time_limit_seconds", "10"), AFME_OK);
        EXPECT_STATUS(afme_model_train_distributed(ds, pp, &group, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        EXPECT_STATUS(afme_model_resume_distributed(plain, ds, 5, &group, NULL, NULL, &none), AFME_ERR_INVALID_ARGUMENT);
        afme_model_free(plain); afme_model_free(alone); afme_params_free(pp);
    }

    /* Handles: wrong type, freed, double free. */
    EXPECT_STATUS(afme_model_free((afme_model *)ds), AFME_ERR_INVALID_HANDLE);
    EXPECT_STATUS(afme_dataset_n_entities((const afme_dataset *)model, &ne), AFME_ERR_INVALID_HANDLE);
    EXPECT_STATUS(afme_model_free(model), AFME_OK);
    EXPECT_STATUS(afme_model_score(model, triples, 1, scores), AFME_ERR_INVALID_HANDLE);
    EXPECT_STATUS(afme_model_free(model), AFME_ERR_INVALID_HANDLE);
    EXPECT_STATUS(afme_dataset_free(ds), AFME_OK);
    EXPECT_STATUS(afme_dataset_n_entities(ds, &ne), AFME_ERR_INVALID_HANDLE);
    EXPECT_STATUS(afme_dataset_free(NULL), AFME_OK);
    EXPECT_STATUS(afme_model_free(NULL), AFME_OK);

    printf("abi_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
