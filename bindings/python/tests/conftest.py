"""Fixtures shared by several test modules: a small labeled graph and a quickly trained RotatE on it."""
import pytest

import afme

QUICK = dict(dim=16, negatives=8, batch_size=256, epochs=3, validate_every=0, seed=5)


@pytest.fixture(scope="module")
def labeled_graph():
    with afme.Dataset.synthetic(n_entities=300, n_relations=6) as d:
        yield d


@pytest.fixture(scope="module")
def quick_model(labeled_graph):
    with afme.Model.train(labeled_graph, **QUICK) as m:
        yield m
