"""The README's Spark job: score labeled triples and filtered top-k inside the executors; compare with
one-process scoring on the driver."""
import sys
import numpy as np
from pyspark.sql import SparkSession
import afme
from afme import spark as afme_spark

spark = SparkSession.builder.appName("afme-score").getOrCreate()
with afme.Dataset.synthetic(n_entities=300, n_relations=6) as ds:
    model = afme.Model.train(ds, dim=16, negatives=8, epochs=3, validate_every=0, seed=5)
    train = ds.triples("train")
rows = [tuple(int(x) for x in t) for t in train[:500]]
df = spark.createDataFrame(rows, "head bigint, relation bigint, tail bigint").repartition(4)
got = afme_spark.score(df, model).toPandas().sort_values(["head", "relation", "tail"])
want = model.score(got[["head", "relation", "tail"]].to_numpy())
executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
paths = (spark.sparkContext.parallelize(range(4), 4)
         .map(lambda _: __import__("afme").__file__ + " " + __import__("sys").executable).distinct().collect())
print("executors:", executors, "afme loaded on executors from:", paths)
print("bit-identical:", bool(np.array_equal(got["score"].to_numpy(np.float32), want)))
ok = ( np.array_equal(got["score"].to_numpy(np.float32), want))
spark.stop()
sys.exit(0 if ok else 1)
