"""The run store: atomic writes, catalog, get/table/delete/compare, and its CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from quasimarket.errors import ConfigError
from quasimarket.runs import RunStore, scenario_hash

pytestmark = pytest.mark.unit

CliRun = Callable[..., tuple[int, str, str]]


def _tables(scale: float = 1.0) -> dict[str, pd.DataFrame]:
    return {
        "outcomes": pd.DataFrame({"party": ["QS01", "SR001"], "net_gbp": [10.0 * scale, -4.0]}),
        "summary": pd.DataFrame({"design": ["block"], "mean_gbp": [3.5]}),
    }


def test_write_then_read_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    scenario = {"name": "s1", "seed": 7, "draws": 100, "lines": [{"id": "a", "plan": 5}]}
    run_id = store.write("stress", scenario, _tables(), {"seed": 7, "draws": 100, "elapsed_s": 1.5})
    assert run_id.startswith("stress-")
    record = store.get(run_id)
    assert (record.kind, record.name, record.seed, record.draws) == ("stress", "s1", 7, 100)
    assert record.tables == ("outcomes", "summary")
    assert record.scenario() == scenario
    assert record.scenario_hash == scenario_hash(scenario)
    assert record.manifest["package_version"] == record.package_version
    assert record.manifest["tables"]["outcomes"]["rows"] == 2
    assert "machine" in record.manifest
    pd.testing.assert_frame_equal(store.table(run_id, "outcomes"), _tables()["outcomes"])
    # unique prefix works; catalog can be queried with SQL
    assert store.get(run_id[:-2]).run_id == run_id
    frame = store.query("SELECT run_id, draws FROM runs WHERE kind = 'stress'")
    assert frame["draws"].tolist() == [100]
    manifest = json.loads((tmp_path / "runs" / run_id / "manifest.json").read_text())
    assert manifest["seed"] == 7


def test_list_is_newest_first_and_filters_by_kind(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = store.write("stress", {"name": "a"}, _tables())
    second = store.write("simulation", {"name": "b"}, _tables())
    ids = [r.run_id for r in store.list()]
    assert set(ids) == {first, second}
    assert [r.run_id for r in store.list("simulation")] == [second]
    assert RunStore(tmp_path / "empty").list() == []


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.write("stress", {"name": "ok"}, _tables())

    class Exploding(pd.DataFrame):
        def to_parquet(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.write("stress", {"name": "boom"}, {"outcomes": Exploding({"x": [1.0]})})
    assert [r.name for r in store.list()] == ["ok"]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "catalog.duckdb"]
    assert len(leftovers) == 1  # only the complete run's folder, no temporary sibling


def test_orphan_folder_is_invisible_and_tidied(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = store.write("stress", {"name": "ok"}, _tables())
    orphan = tmp_path / "stress-20000101T000000-abcdef"
    orphan.mkdir()
    assert [r.run_id for r in store.list()] == [run_id]
    assert store.tidy() == [orphan]
    assert not orphan.exists()
    assert (tmp_path / run_id).exists()


def test_delete_removes_row_and_folder(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep = store.write("stress", {"name": "keep"}, _tables())
    gone = store.write("stress", {"name": "gone"}, _tables())
    store.delete(gone)
    assert [r.run_id for r in store.list()] == [keep]
    assert not (tmp_path / gone).exists()
    with pytest.raises(ConfigError, match="no run"):
        store.get(gone)


def test_compare_reports_scenario_and_table_differences(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    a = store.write("stress", {"name": "x", "seed": 1, "lines": [{"plan": 5}]}, _tables(1.0))
    b = store.write("stress", {"name": "x", "seed": 2, "lines": [{"plan": 6}]}, _tables(3.0))
    result = store.compare(a, b)
    assert ("seed", 1, 2) in result.scenario_changes
    assert ("lines[0].plan", 5, 6) in result.scenario_changes
    identical = dict(zip(result.tables["table"], result.tables["identical"], strict=True))
    assert identical == {"outcomes": False, "summary": True}
    row = result.numeric[result.numeric["column"] == "net_gbp"].iloc[0]
    # means: a = (10 − 4)/2 = 3, b = (30 − 4)/2 = 13
    assert (row["mean_a"], row["mean_b"], row["difference"]) == (3.0, 13.0, 10.0)
    assert json.dumps(result.to_dict(), default=str)


def test_bad_requests_are_config_errors(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with pytest.raises(ConfigError, match="no runs"):
        store.get("anything")
    run_id = store.write("stress", {"name": "x"}, _tables())
    with pytest.raises(ConfigError, match="unknown run kind"):
        store.write("forecast", {"name": "x"}, _tables())
    with pytest.raises(ConfigError, match="bad table name"):
        store.write("stress", {"name": "x"}, {"Bad Name": pd.DataFrame()})
    with pytest.raises(ConfigError, match="has no table 'nope'") as info:
        store.table(run_id, "nope")
    assert info.value.expected is not None
    assert "outcomes" in info.value.expected
    with pytest.raises(ConfigError, match="did you mean"):
        store.get(run_id[:-1] + "z")
    assert len(store.list()) == 1


def test_runs_cli(tmp_path: Path, cli: CliRun) -> None:
    store = RunStore(tmp_path)
    a = store.write("stress", {"name": "first", "seed": 1}, _tables(), {"seed": 1, "draws": 10})
    b = store.write("stress", {"name": "second", "seed": 2}, _tables(2.0), {"seed": 2})
    code, out, err = cli("runs", "list", "--store", str(tmp_path), "--json")
    assert code == 0, err
    assert {row["run_id"] for row in json.loads(out)} == {a, b}
    code, out, _ = cli("runs", "show", a, "--store", str(tmp_path), "--json")
    assert code == 0
    assert json.loads(out)["run"]["seed"] == 1
    code, out, _ = cli("runs", "compare", a, b, "--store", str(tmp_path))
    assert code == 0
    assert "seed" in out
    assert "net_gbp" in out
    code, out, _ = cli("runs", "delete", a, "--store", str(tmp_path), "--yes")
    assert code == 0
    assert [r.run_id for r in store.list()] == [b]
    code, _, err = cli("runs", "show", "nope", "--store", str(tmp_path))
    assert code == 2
    assert "no run 'nope'" in err
    assert "Traceback" not in err


def test_default_store_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quasimarket.runs import default_store_path

    monkeypatch.setenv("QUASIMARKET_RUNS", str(tmp_path / "elsewhere"))
    assert default_store_path() == tmp_path / "elsewhere"
    run_id = RunStore().write("simulation", {"name": "sim"}, _tables())
    assert (tmp_path / "elsewhere" / run_id / "manifest.json").exists()
    monkeypatch.delenv("QUASIMARKET_RUNS")
    assert default_store_path() == Path("runs")


def test_owner_filter_and_old_catalog_migration(tmp_path: Path) -> None:
    import duckdb

    # a catalog written before the owner column existed
    tmp_path.mkdir(exist_ok=True)
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"))
    con.execute(
        "CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR, "
        "created_utc TIMESTAMP NOT NULL, seed BIGINT, draws BIGINT, scenario_hash VARCHAR NOT "
        "NULL, package_version VARCHAR NOT NULL, tables VARCHAR NOT NULL, elapsed_s DOUBLE, "
        "manifest VARCHAR NOT NULL)"
    )
    con.close()
    store = RunStore(tmp_path)
    assert store.list(owner="ana") == []
    mine = store.write("stress", {"name": "a"}, _tables(), owner="ana")
    theirs = store.write("stress", {"name": "b"}, _tables(), owner="ben")
    nobody = store.write("stress", {"name": "c"}, _tables())
    assert [r.run_id for r in store.list(owner="ana")] == [mine]
    assert store.get(theirs).owner == "ben"
    assert store.get(nobody).owner is None
    assert store.get(mine).manifest["owner"] == "ana"
    assert len(store.list()) == 3
