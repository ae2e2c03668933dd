"""Train on the built-in graph (or an OpenKE folder), evaluate, save, reload, and answer queries.
usage: python3 examples/python/flow.py [DATASET_FOLDER] [OUT.afme]"""
import sys
import tempfile

import afme


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else None
    out = sys.argv[2] if len(sys.argv) > 2 else tempfile.mktemp(suffix=".afme")
    ds = afme.Dataset.load_openke(folder) if folder else afme.Dataset.synthetic()
    with ds:
        params = {} if folder else dict(dim=64, learning_rate=0.003)
        with afme.Model.train(ds, epochs=100, validate_every=10, show_progress=True, **params) as model:
            m = model.evaluate(ds, "test")["both"]
            print(f"test: MRR {m['mrr']:.4f}  Hits@1 {m['hits1']:.4f}  Hits@10 {m['hits10']:.4f}")
            model.save(out)
        with afme.Model.load(out) as model:
            h, r, t = (int(x) for x in ds.triples("test")[0])
            ids, scores = model.topk(h, r, k=3, exclude=ds)
            names = ", ".join(f"{ds.entity_name(int(i))} ({s:.2f})" for i, s in zip(ids, scores))
            print(f"({ds.entity_name(h)}, {ds.relation_name(r)}, ?) -> {names}; true: {ds.entity_name(t)}")
            print(f"score({h}, {r}, {t}) = {model.score([[h, r, t]])[0]:.4f}")


if __name__ == "__main__":
    main()
