/* Trains RotatE on an OpenKE folder (or the built-in graph), evaluates on test, saves a checkpoint.
 * usage: train [DATASET_FOLDER|-] OUT.afme [EPOCHS] */
#include "afme.h"
#include <stdio.h>
#include <stdlib.h>

static int on_epoch(const afme_epoch_report *r, void *user) {
    (void)user;
    if (r->validated) printf("epoch %d: loss %.4f, valid MRR %.4f\n", r->epoch, r->mean_loss, r->valid_mrr);
    return 0;
}

#define CHECK(call) do { if ((call) != AFME_OK) { fprintf(stderr, "%s\n", afme_last_error()); goto fail; } } while (0)

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s DATASET_FOLDER|- OUT.afme [EPOCHS]\n", argv[0]); return 2; }
    afme_dataset *ds = NULL;
    afme_model *model = NULL;
    int rc = 1;
    if (argv[1][0] == '-' && argv[1][1] == 0) CHECK(afme_dataset_create_synthetic(NULL, &ds));
    else CHECK(afme_dataset_load_openke(argv[1], &ds));

    afme_train_params p = afme_train_default_params();
    if (argv[1][0] == '-') { p.dim = 64; p.learning_rate = 0.003f; }  /* the small built-in graph */
    p.epochs = argc > 3 ? atoi(argv[3]) : 100;
    p.validate_every = 10;
    CHECK(afme_model_train(ds, &p, on_epoch, NULL, &model));

    afme_metrics m;
    CHECK(afme_model_evaluate(model, ds, AFME_SPLIT_TEST, AFME_TIES_REALISTIC, 0, &m, NULL, NULL));
    printf("test: MRR %.4f  MR %.1f  Hits@1 %.4f  Hits@3 %.4f  Hits@10 %.4f  (%lld ranks)\n",
           m.mrr, m.mr, m.hits1, m.hits3, m.hits10, (long long)m.count);
    CHECK(afme_model_save(model, argv[2]));
    printf("saved %s\n", argv[2]);
    rc = 0;
fail:
    afme_model_free(model);
    afme_dataset_free(ds);
    return rc;
}
