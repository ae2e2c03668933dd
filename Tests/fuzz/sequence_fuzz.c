/* Call-sequence fuzzer for the C ABI (libFuzzer + AddressSanitizer, linked against an ASan build of
 * libafme.so): each input is read as a program of calls — create / train / score / top-k / evaluate /
 * save / load / buffer round trips / names / weights / free — on a few handle slots, with arguments taken
 * from the input (ids out of range, negative and huge counts, NaN, freed and forged handles, truncated and
 * bit-flipped checkpoint bytes). Properties: no crash or memory error; every status is a documented one;
 * a failure leaves a message and leaves outputs untouched; top-k writes at most min(k, entities) rows of
 * in-range ids. Sizes are kept small (<= 40 entities, dim <= 16, <= 2 epochs) so a run executes many calls. */
#include "afme.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct { const uint8_t *p; size_t n; } input;

static uint8_t byte(input *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}
static int64_t wide(input *in) {
    /* Small values mostly, with the edges of int64 and a few hostile ones. */
    static const int64_t edges[] = {-1, 0, 1, 2, 3, 7, 39, 40, 41, INT64_MAX, INT64_MIN, (int64_t)1 << 40, 1 << 20};
    uint8_t b = byte(in);
    return b < 200 ? (int64_t)(b % 48) - 4 : edges[b % (sizeof edges / sizeof *edges)];
}
static float number(input *in) {
    static const float v[] = {0.0f, 1.0f, -1.0f, 0.5f, 4.0f, NAN, INFINITY, -INFINITY, 1e30f, 1e-3f};
    return v[byte(in) % 10];
}

static void must(int cond, const char *what) {
    if (!cond) { fprintf(stderr, "property violated: %s (last error: %s)\n", what, afme_last_error()); abort(); }
}
static void status_ok(afme_status s) {
    must(s >= AFME_OK && s <= AFME_ERR_INTERNAL, "a documented status");
    must(s != AFME_ERR_INTERNAL, "no internal error");
    if (s != AFME_OK) must(afme_last_error()[0] != 0, "a failure leaves a message");
}

#define SLOTS 3
static afme_dataset *datasets[SLOTS];
static afme_model *models[SLOTS];
static afme_dataset *freed_dataset;
static afme_model *freed_model;
static char path[64];

static afme_dataset *pick_dataset(input *in) {
    uint8_t b = byte(in) % (SLOTS + 3);
    if (b < SLOTS) return datasets[b];
    if (b == SLOTS) return freed_dataset;
    if (b == SLOTS + 1) return (afme_dataset *)models[0]; /* a handle of the other type */
    return NULL;
}
static afme_model *pick_model(input *in) {
    uint8_t b = byte(in) % (SLOTS + 3);
    if (b < SLOTS) return models[b];
    if (b == SLOTS) return freed_model;
    if (b == SLOTS + 1) return (afme_model *)(uintptr_t)0x1010; /* forged */
    return NULL;
}

static void step(input *in) {
    uint8_t op = byte(in) % 13, slot = byte(in) % SLOTS;
    switch (op) {
    case 0: { /* create a synthetic dataset */
        afme_synthetic_params sp = afme_synthetic_default_params();
        sp.n_entities = 10 + byte(in) % 31;
        sp.n_relations = 1 + byte(in) % 4;
        sp.facts_per_entity = 1 + byte(in) % 4;
        sp.text_dim = byte(in) % 9; sp.image_dim = byte(in) % 5;
        sp.text_missing = byte(in) % 2 ? 0.3f : number(in);
        sp.feature_noise = byte(in) % 2 ? 0.3f : number(in);
        sp.seed = byte(in);
        afme_dataset *d = NULL;
        afme_status s = afme_dataset_create_synthetic(&sp, &d);
        status_ok(s);
        must((s == AFME_OK) == (d != NULL), "out set only on success");
        if (d) { afme_dataset_free(datasets[slot]); datasets[slot] = d; }
        break;
    }
    case 1: { /* train */
        afme_train_params p = afme_train_default_params();
        p.dim = 1 + byte(in) % 16; p.negatives = 1 + byte(in) % 8; p.batch_size = 1 + byte(in) % 64;
        p.epochs = byte(in) % 3; p.validate_every = byte(in) % 2; p.patience = byte(in) % 2;
        p.model_kind = byte(in) % 3;          /* 2 is not a kind */
        p.score_function = byte(in) % 4;      /* 3 is not a score function */
        p.attention_layers = (int32_t)(wide(in) % 10);
        p.attention_tokens = 1 + byte(in) % 4;
        p.learning_rate = byte(in) % 4 ? 0.01f : number(in);
        p.gamma = byte(in) % 4 ? 4.0f : number(in);
        p.noise_dim = 1 + byte(in) % 8;
        p.adversarial_samples = 1 + byte(in) % 32; p.discriminator_hidden = 1 + byte(in) % 8;
        p.placement_neighbors = byte(in) % 3;
        p.threads = byte(in) % 3;
        afme_model *m = NULL;
        afme_status s = afme_model_train(pick_dataset(in), byte(in) % 8 ? &p : NULL, NULL, NULL, &m);
        if (byte(in) % 8 == 0) { afme_model_free(m); m = NULL; s = afme_model_train(NULL, &p, NULL, NULL, &m); }
        status_ok(s);
        must((s == AFME_OK) == (m != NULL), "out set only on success");
        if (m) { afme_model_free(models[slot]); models[slot] = m; }
        break;
    }
    case 2: { /* score */
        int64_t t[3 * 8];
        int64_t n = wide(in);
        for (int i = 0; i < 24; i++) t[i] = wide(in);
        float out[8];
        status_ok(afme_model_score(pick_model(in), byte(in) % 8 ? t : NULL, n > 8 ? 8 : n, out));
        break;
    }
    case 3: { /* top-k */
        int64_t ids[64], n = -7, k = wide(in);
        float scores[64];
        afme_model *m = pick_model(in);
        int64_t e = wide(in), r = wide(in);
        afme_status s = afme_model_topk(m, e, r, (afme_direction)(byte(in) % 3), k > 64 ? 64 : k, pick_dataset(in),
                                        ids, scores, &n);
        status_ok(s);
        if (s == AFME_OK) {
            int64_t ne = 0;
            afme_model_n_entities(m, &ne);
            must(n >= 0 && n <= (k > 64 ? 64 : k) && n <= ne, "n_written <= min(k, entities)");
            for (int64_t i = 0; i < n; i++) must(ids[i] >= 0 && ids[i] < ne, "top-k ids in range");
        } else {
            must(n == -7, "n_written untouched on failure");
        }
        break;
    }
    case 4: { /* evaluate */
        afme_metrics both;
        status_ok(afme_model_evaluate(pick_model(in), pick_dataset(in), (afme_split)(byte(in) % 4),
                                      (afme_ties)(byte(in) % 5), (int32_t)wide(in), &both, NULL, NULL));
        break;
    }
    case 5: { /* save and load a file */
        status_ok(afme_model_save(pick_model(in), byte(in) % 8 ? path : NULL));
        afme_model *m = NULL;
        afme_status s = afme_model_load(byte(in) % 8 ? path : "/dev/zero", &m);
        status_ok(s);
        must((s == AFME_OK) == (m != NULL), "out set only on success");
        if (m) { afme_model_free(models[slot]); models[slot] = m; }
        break;
    }
    case 6: { /* buffer round trip, possibly truncated or bit-flipped */
        afme_model *m = pick_model(in);
        size_t size = 0, written = 0;
        if (afme_model_serialized_size(m, &size) != AFME_OK || size > (64u << 20)) break;
        uint8_t *buf = malloc(size + 1);
        status_ok(afme_model_save_to_buffer(m, buf, size - (byte(in) % 4 == 0), &written));
        size_t use = written;
        uint8_t mode = byte(in) % 4;
        if (mode == 1 && use > 0) use = (size_t)byte(in) * use / 256;
        if (mode == 2 && use > 0) buf[((size_t)byte(in) << 8 | byte(in)) % use] ^= (uint8_t)(1u << (byte(in) % 8));
        afme_model *back = NULL;
        afme_status s = afme_model_load_from_buffer(buf, use, &back);
        status_ok(s);
        must((s == AFME_OK) == (back != NULL), "out set only on success");
        if (back) { afme_model_free(models[slot]); models[slot] = back; }
        free(buf);
        break;
    }
    case 7: { /* names, with every buffer size */
        char name[16];
        size_t needed = 0;
        afme_dataset *d = pick_dataset(in);
        int64_t id = wide(in);
        size_t size = byte(in) % 18;
        status_ok(byte(in) % 2 ? afme_dataset_entity_name(d, id, size ? name : NULL, size, &needed)
                               : afme_dataset_relation_name(d, id, size ? name : NULL, size, &needed));
        break;
    }
    case 8: { /* modality weights */
        float w[256];
        int64_t cols = 0, cap = wide(in);
        status_ok(afme_model_modality_weights(pick_model(in), byte(in) % 4 ? w : NULL, cap > 256 ? 256 : cap, &cols));
        break;
    }
    case 9: { /* add a modality from memory */
        afme_dataset *d = pick_dataset(in);
        int64_t ne = 0;
        if (afme_dataset_n_entities(d, &ne) != AFME_OK) { status_ok(AFME_ERR_INVALID_HANDLE); break; }
        int64_t dim = 1 + byte(in) % 4, rows = ne + (byte(in) % 4 == 0 ? wide(in) : 0);
        float *v = calloc((size_t)(ne * dim), sizeof(float));
        if (byte(in) % 4 == 0) v[0] = number(in);
        uint8_t present[64];
        for (int i = 0; i < 64; i++) present[i] = byte(in) % 2;
        status_ok(afme_dataset_add_modality(d, "m", v, rows == ne ? rows : rows % 64, dim, byte(in) % 2 ? present : NULL));
        free(v);
        break;
    }
    case 10: { /* triples out */
        int64_t out[3 * 16], n = 0, cap = wide(in);
        status_ok(afme_dataset_get_triples(pick_dataset(in), (afme_split)(byte(in) % 4), out, cap > 16 ? 16 : cap, &n));
        break;
    }
    case 11: { /* free a model slot, keeping its stale handle */
        if (models[slot]) { status_ok(afme_model_free(models[slot])); freed_model = models[slot]; models[slot] = NULL; }
        status_ok(afme_model_free(freed_model));  /* double free */
        break;
    }
    case 12: { /* free a dataset slot, keeping its stale handle */
        if (datasets[slot]) { status_ok(afme_dataset_free(datasets[slot])); freed_dataset = datasets[slot]; datasets[slot] = NULL; }
        status_ok(afme_dataset_free(freed_dataset));
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) snprintf(path, sizeof path, "/tmp/afme-seqfuzz-%d.afme", (int)getpid());
    input in = {data, size};
    for (int calls = 0; in.n > 0 && calls < 24; calls++) step(&in);
    for (int i = 0; i < SLOTS; i++) {
        afme_model_free(models[i]); models[i] = NULL;
        afme_dataset_free(datasets[i]); datasets[i] = NULL;
    }
    return 0;
}
