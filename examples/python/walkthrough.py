"""From a labeled TSV to predictions by name, as a pipeline would use libafme (PyKEEN-like).

    python3 examples/python/walkthrough.py [TRIPLES.tsv[.gz]] [WORKDIR]

With no file, a labeled TSV is written from the built-in synthetic graph first. The one file of triples is
split reproducibly (every valid/test entity stays in train), a RotatE model is trained and saved, and the
saved file alone answers queries by label.
"""
import os
import sys
import tempfile

import afme

work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="afme-walkthrough-")
path = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else None
if path is None:  # a stand-in for the pipeline's export: head<TAB>relation<TAB>tail with a header line
    path = os.path.join(work, "triples.tsv")
    with afme.Dataset.synthetic(n_entities=500) as g, open(path, "w") as f:
        f.write("head\trelation\ttail\n")
        for split in ("train", "valid", "test"):
            for h, r, t in g.triples(split):
                f.write(f"city {g.entity_name(h)}\t{g.relation_name(r)} of\tcity {g.entity_name(t)}\n")

everything = afme.Dataset.from_tsv(path)
ds = everything.split(valid=0.05, test=0.05, seed=0)
print(f"{path}: {ds.n_entities} entities, {ds.n_relations} relations; "
      f"{ds.n_triples('train')}/{ds.n_triples('valid')}/{ds.n_triples('test')} train/valid/test; dropped {everything.load_report}")

with afme.Model.train(ds, dim=64, epochs=100, learning_rate=0.003, negatives=16, batch_size=256,
                      validate_every=20, patience=2, seed=1) as model:
    m = model.evaluate(ds, "test")["both"]
    print(f"test: MRR {m['mrr']:.3f} Hits@10 {m['hits10']:.3f}")
    model.save(os.path.join(work, "model.afme"))

served = afme.Model.load(os.path.join(work, "model.afme"))          # labels travel with the model
h, r, t = (served.entity_label(int(ds.triples("test")[0][0])), served.relation_label(int(ds.triples("test")[0][1])),
           served.entity_label(int(ds.triples("test")[0][2])))
print(f"query: ({h}, {r}, ?) — true tail {t}")
predictions = served.predict([h], [r], k=5, exclude=ds, known=ds)
if hasattr(predictions, "to_string"):
    print(predictions[["rank", "candidate", "score", "in_train"]].to_string(index=False))
else:
    for rank, cand, score in zip(predictions["rank"], predictions["candidate"], predictions["score"]):
        print(f"{rank:>4} {cand} {score:.3f}")
print(f"score({h}, {r}, {t}) = {served.score([[h, r, t]])[0]:.4f}")
