"""Data-parallel training over MPI (mpi4py), with per-epoch checkpoints and recovery.

Optional part of the package: it needs mpi4py and an MPI library (Open MPI: Debian's openmpi-bin and
libopenmpi-dev); libafme itself does not link MPI. Every rank loads the same dataset and calls `train`
with the same options; each trains its share of every epoch's batches and the ranks sum their weight
changes after each round (afme.h "Data-parallel training", docs/SCALE.md).

    mpirun -np 2 python3 -m afme.mpi --openke data/MKG-Y --model rotate --set dim=250 epochs=100 \\
        --checkpoint-dir ckpt --save mkgy.afme --evaluate

With a checkpoint directory every rank saves its own state after each epoch (atomically; the two latest
are kept) and a restarted job resumes from the latest epoch every rank saved. A rank that dies makes the
job fail: mpirun ends the others (no hang), the checkpoints stay intact, and the same command resumes.
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import sys

from . import Collective, Dataset, Model, Params, _model_kind

try:
    from mpi4py import MPI
except ImportError as e:  # pragma: no cover - the message names what to install
    raise ImportError("afme.mpi needs mpi4py and an MPI library (apt-get install openmpi-bin libopenmpi-dev; "
                      "pip install mpi4py)") from e

__all__ = ["MPICollective", "train", "main"]

_CHECKPOINT = re.compile(r"^rank-(\d+)\.epoch-(\d+)\.afme$")


class MPICollective(Collective):
    """The ranks of an MPI communicator (default COMM_WORLD); the sum is MPI_Allreduce(MPI_SUM) in place."""

    def __init__(self, comm=None):
        self.comm = comm if comm is not None else MPI.COMM_WORLD
        super().__init__(self.comm.Get_rank(), self.comm.Get_size(), self._sum)
        self.calls = 0
        self.bytes = 0  # payload summed by this rank (a ring all-reduce sends 2(n-1)/n of it per rank)

    def _sum(self, values):
        self.comm.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)
        self.calls += 1
        self.bytes += values.nbytes


def _checkpoints(directory: pathlib.Path, rank: int) -> dict:
    out = {}
    for p in directory.glob(f"rank-{rank}.epoch-*.afme"):
        m = _CHECKPOINT.match(p.name)
        if m and int(m.group(1)) == rank:
            out[int(m.group(2))] = p
    return out


def train(dataset: Dataset, checkpoint_dir=None, comm=None, progress=None, keep: int = 2, model=None,
          **params) -> Model:
    """Trains as `Model.train(dataset, model=..., **params)`, as this process's rank of `comm` (an mpi4py
    communicator, default COMM_WORLD, or an MPICollective, which counts the bytes it sums). Every rank
    returns the same weights. With `checkpoint_dir` (a directory every rank can write; ranks may share
    it), each rank saves `rank-R.epoch-E.afme` after every epoch, keeps the `keep` latest, and a new call
    first resumes from the latest epoch all ranks saved. `progress(info)` as in Model.train; returning
    False on any rank stops every rank after that epoch."""
    group = comm if isinstance(comm, MPICollective) else MPICollective(comm)
    if checkpoint_dir is None:
        return Model.train(dataset, progress=progress, model=model, collective=group, **params)
    directory = pathlib.Path(checkpoint_dir)
    directory.mkdir(parents=True, exist_ok=True)
    kind = _model_kind(model, params)
    with Params(kind, **params) as p:
        total = int(p["epochs"])
    mine = _checkpoints(directory, group.rank)
    everyone = group.comm.allgather(sorted(mine))
    common = set(everyone[0]).intersection(*map(set, everyone[1:]))
    done = max(common) if common else 0
    current = Model.load(str(mine[done])) if done else None
    stopped = False

    def one_epoch(info):
        nonlocal stopped
        if progress is not None and progress(info) is False:
            stopped = True
            return False
        return info["epoch"] >= total  # stop after this epoch, unless it is the last (then finish normally)

    while True:
        if current is None:
            current = Model.train(dataset, progress=one_epoch, model=kind, collective=group, **params)
        elif current.can_resume and done < total:
            current = current.resume(dataset, epochs=total, progress=one_epoch, collective=group)
        else:
            return current
        history = current.history
        done = history[-1]["epoch"] if history else done
        if current.can_resume:
            target = directory / f"rank-{group.rank}.epoch-{done:05d}.afme"
            current.save(str(target))
            for e, path in sorted(_checkpoints(directory, group.rank).items())[:-keep]:
                path.unlink(missing_ok=True)
        if stopped or not current.can_resume or done >= total:
            return current


def _dataset(args) -> Dataset:
    if args.openke:
        return Dataset.load_openke(args.openke)
    if args.scale is not None:
        spec = {}
        for item in args.scale.split():
            key, sep, value = item.partition("=")
            if not sep:
                raise SystemExit(f"--scale wants 'key=value ...', got {item!r}")
            spec[key] = _value(value)
        return Dataset.scale(cache_dir=args.scale_cache, **spec)
    return Dataset.synthetic(n_entities=args.synthetic)


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m afme.mpi", description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--openke", help="an OpenKE folder")
    src.add_argument("--synthetic", type=int, default=2000, help="entities of the built-in graph (default)")
    src.add_argument("--scale", metavar="'KEY=VALUE ...'",
                     help="a generated power-law graph (Dataset.scale), e.g. 'entities=150000 triples=600000'")
    ap.add_argument("--scale-cache", metavar="DIR", help="generate the --scale graph once into DIR, then reuse it")
    ap.add_argument("--modality", action="append", default=[], metavar="NAME=PATH.npy",
                    help="a feature modality (float32/float16 .npy, one row per entity); repeatable")
    ap.add_argument("--model", default="rotate")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="options (afme.options())")
    ap.add_argument("--checkpoint-dir")
    ap.add_argument("--save", help="rank 0 saves the final model here")
    ap.add_argument("--evaluate", action="store_true", help="rank 0 prints the filtered test metrics as JSON")
    ap.add_argument("--pid-dir", help="each rank writes rank-R.pid here (tests use it to kill one)")
    args = ap.parse_args(argv)
    params = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set wants KEY=VALUE, got {item!r}")
        params[key] = _value(value)
    group = MPICollective()
    comm = group.comm
    if args.pid_dir:
        pathlib.Path(args.pid_dir).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(args.pid_dir) / f"rank-{comm.Get_rank()}.pid").write_text(str(os.getpid()))
    data = _dataset(args)
    for item in args.modality:
        name, sep, path = item.partition("=")
        if not sep:
            ap.error(f"--modality wants NAME=PATH.npy, got {item!r}")
        data.add_modality_npy(name, path)

    losses = []

    def report(info):
        losses.append(info["loss"])
        if comm.Get_rank() == 0:
            print(json.dumps({"rank": 0, **info}), flush=True)

    model = train(data, checkpoint_dir=args.checkpoint_dir, comm=group, progress=report, model=args.model, **params)
    if comm.Get_rank() == 0:
        if args.save:
            model.save(args.save)
        if args.evaluate:
            print(json.dumps({"test": model.evaluate(data, "test")["both"]}), flush=True)
    # Every rank's weights are the same: show it (a digest of the entity table's bytes).
    digests = comm.allgather(hashlib.sha256(model.entity_embeddings().tobytes()).hexdigest())
    histories = comm.allgather(losses)
    if comm.Get_rank() == 0:
        print(json.dumps({"ranks": comm.Get_size(), "entity_table_digests": digests,
                          "same_losses_on_every_rank": all(h == histories[0] for h in histories),
                          "epochs": len(losses), "allreduce_calls": group.calls,
                          "allreduce_payload_bytes": group.bytes}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
