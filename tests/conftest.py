"""Shared pytest fixtures."""
import pytest


@pytest.fixture(scope="session")
def tf_keras():
    """``(tf, keras)`` imported once per session, quietly, with every seed set to 0."""
    from dlcourse.tfsetup import load_tensorflow

    return load_tensorflow(seed=0)
