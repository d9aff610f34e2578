"""Shared fixtures: the repository's golden files and the Gymnasium ids fusegym reproduces."""

import json
import pathlib

import pytest

import fusegym

REPO = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
# The envs with a Gymnasium reference (Reach3D is fusegym's own).
GYMNASIUM_IDS = [i for i in fusegym.ENV_IDS if not i.startswith("Reach3D")]


@pytest.fixture(scope="session")
def golden():
    """``{env_id: parsed golden file}``."""
    return {i: json.loads((GOLDEN / f"{i}.json").read_text()) for i in GYMNASIUM_IDS}
