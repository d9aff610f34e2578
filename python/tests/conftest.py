"""Shared fixtures: the repository's golden files and the Gymnasium ids fusegym reproduces."""

import json
import pathlib
import threading

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


def assert_second_thread_refused(background, foreground, tries):
    """Runs `background()` in a loop on a second thread while this thread calls `foreground()` up
    to `tries` times: one batch used from two threads must refuse the second caller with a
    RuntimeError naming the conflict (never a data race), and the two must overlap at least once
    (the GIL released while the core steps)."""
    errors, done = [], threading.Event()

    def loop():
        while not done.is_set():
            try:
                background()
            except RuntimeError as e:
                errors.append(e)

    t = threading.Thread(target=loop)
    t.start()
    try:
        seen = []
        for _ in range(tries):
            try:
                foreground()
            except RuntimeError as e:
                seen.append(e)
                if len(seen) > 3:
                    break
    finally:
        done.set()
        t.join()
    caught = seen + errors
    assert caught, "two threads never overlapped inside the batch (the GIL is not released?)"
    assert all("in use by another thread" in str(e) for e in caught)
