"""The economy view of the real 2025/26 England economy built from the public NHS files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_real_economy_view(make_client: Callable[..., Any], shared_data: Path) -> None:
    client = make_client(real_data_dir=shared_data)
    body = client.get("/api/economy", params={"source": "real"}).json()
    assert len(body["commissioners"]) == 42
    assert body["description"]["synthetic"] is False
    page = client.get("/economy?source=real")
    assert page.status_code == 200
    assert "Real 2025/26 England" in page.text


def test_serve_refuses_a_missing_real_data_folder(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("serve", "--real-data", str(tmp_path / "nowhere"), "--data", str(tmp_path))
    assert code == 2
    assert "real-data folder does not exist" in " ".join(err.split())
