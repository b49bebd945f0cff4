"""File storage full, then read-only: downloads answer 503 with Retry-After and say what
happened, /readyz says storage failed, no partial file is left behind, and all is well again
once there is room."""

import os
import subprocess

import pytest
import requests

from tests.faults.buyer import download_path
from tests.faults.journeys import place_and_pay, wait_until_paid
from tests.scaleout.processes import REQUEST_SECONDS, wait_for


def _ready(stack) -> requests.Response:
    return requests.get(f"{stack.portal}/readyz", timeout=REQUEST_SECONDS)


def _fill(path) -> None:
    chunk = b"\0" * (1024 * 1024)
    with path.open("wb") as filler:
        try:
            while True:
                filler.write(chunk)
                filler.flush()
        except OSError:
            pass


@pytest.fixture
def own_filesystem(stack):
    if not stack.storage_is_own_filesystem:
        pytest.skip("this machine did not let the run mount a filesystem for the storage")


def test_a_full_disk_answers_503_and_leaves_no_partial_files(stack, own_filesystem):
    assert _ready(stack).status_code == 200
    stack.stop("worker")  # so the copy is first written by the download itself
    filler = stack.storage / "filler"
    try:
        buyer, reference, back = place_and_pay(stack)
        # With the worker stopped, Stripe's event waits on the queue: the buyer's return from
        # Stripe, which asks Stripe itself, records the payment.
        assert buyer.get(back).status_code == 200
        wait_until_paid(stack, reference)
        _fill(filler)
        ready = _ready(stack)
        assert ready.status_code == 503 and ready.json()["checks"]["storage"] == "failed"
        download = buyer.get(download_path(buyer.get(f"/orders/{reference}").text))
        assert download.status_code == 503, download.status_code
        assert download.headers["Retry-After"].isdigit()
        assert "cannot read or write our files" in download.text
        leftovers = [name for name in os.listdir(stack.storage / "stamped") if "line-" not in name]
        assert leftovers == []
    finally:
        filler.unlink(missing_ok=True)
        stack.start_worker()
    wait_for(lambda: _ready(stack).status_code == 200, "storage to be ready again")
    download = buyer.get(download_path(buyer.get(f"/orders/{reference}").text))
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")


def _remount(stack, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(stack.storage)], check=True)  # noqa: S603,S607


def test_a_read_only_storage_is_not_ready(stack, own_filesystem):
    _remount(stack, "ro")
    try:
        ready = _ready(stack)
        assert ready.status_code == 503 and ready.json()["checks"]["storage"] == "failed"
    finally:
        _remount(stack, "rw")
    wait_for(lambda: _ready(stack).status_code == 200, "storage to be ready again")
