"""Security: loopback default, authentication, CSRF, isolation, uploads, traversal, headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.unit


def _stress_run(data: Path, user: str) -> str:
    """A run written straight into *user*'s store (no worker needed)."""
    from quasimarket.runs import RunStore
    from quasimarket.web.storage import Workspace

    store = RunStore(Workspace(data, user).runs)
    frame = pd.DataFrame({"design": ["a"], "party": ["p"], "mean_gbp": [1.0]})
    return store.write("stress", {"name": f"{user}'s run"}, {"summary": frame}, {"seed": 1})


def test_security_headers_on_pages_and_api(client: Any) -> None:
    cookie = client.get("/").headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http on loopback
    for url in ("/", "/api/session", "/static/app.css", "/no/such/page"):
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["content-security-policy"], url
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_secure_cookie_off_loopback(make_client: Any) -> None:
    remote = make_client(users=True, host="0.0.0.0")
    assert "secure" in remote.get("/login").headers["set-cookie"].lower()


def test_refuses_non_loopback_without_users(tmp_path: Path) -> None:
    from quasimarket.errors import ConfigError
    from quasimarket.web import WebConfig, create_app

    with pytest.raises(ConfigError, match="without authentication") as info:
        create_app(WebConfig(data_dir=tmp_path, host="0.0.0.0"))
    assert info.value.location == "--host"
    assert "serve-user" in (info.value.fix or "")


def test_serve_cli_refuses_exposure_and_adds_hashed_users(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli("serve", "--host", "0.0.0.0", "--data", str(tmp_path))
    assert code == 2
    assert "refusing to listen on 0.0.0.0" in err
    assert "Traceback" not in err
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret\n"))
    code, _out, _ = cli("serve-user", "carol", "--data", str(tmp_path), "--password-stdin")
    assert code == 0
    text = (tmp_path / "users.toml").read_text()
    assert "a-long-secret" not in text
    assert "$argon2id$" in text
    from quasimarket.web.auth import load_users

    users = load_users(tmp_path / "users.toml")
    assert users.verify("carol", "a-long-secret")
    assert not users.verify("carol", "wrong")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = cli("serve-user", "dave", "--data", str(tmp_path), "--password-stdin")
    assert code == 2
    assert "too short" in err


def test_csrf_is_required_for_forms_and_unsafe_api(client: Any) -> None:
    client.get("/")
    assert client.post("/api/contracts/validate", json={"text": ""}).status_code == 403
    wrong = {"X-CSRF-Token": "not-the-token"}
    assert (
        client.post("/api/contracts/validate", json={"text": ""}, headers=wrong).status_code == 403
    )
    page = client.post("/contracts", data={"action": "check", "text": "x"})
    assert page.status_code == 403
    assert "CSRF" in page.text
    assert client.post("/stress", data={"csrf_token": "nope"}).status_code == 403


def test_login_required_and_wrong_passwords_refused(make_client: Any, csrf: Any) -> None:
    client = make_client(users=True)
    first = client.get("/contracts", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/login")
    assert client.get("/api/runs").status_code == 401
    token = csrf(client)
    bad = client.post("/api/login", json={"username": "alice", "password": "x"}, headers=token)
    assert bad.status_code == 401
    unknown = client.post("/api/login", json={"username": "zed", "password": "x"}, headers=token)
    assert unknown.status_code == 401
    form = {"csrf_token": token["X-CSRF-Token"], "username": "alice", "password": "nope"}
    page = client.post("/login", data=form)
    assert page.status_code == 401
    assert "Enter a correct user name and password" in page.text


def test_login_next_is_never_an_open_redirect(make_client: Any, csrf: Any) -> None:
    client = make_client(users=True)
    token = csrf(client)["X-CSRF-Token"]
    for target, expected in (
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/runs", "/runs"),
    ):
        form = {"csrf_token": token, "username": "alice", "password": "alice-password-1"}
        response = client.post("/login", data={**form, "next": target}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == expected
        token = csrf(client)["X-CSRF-Token"]


def test_users_see_only_their_own_runs_pricings_and_jobs(
    make_client: Any, login: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    alice = make_client(users=True, data_dir=data)
    bob = make_client(users=True, data_dir=data)
    alice_headers = login(alice, "alice")
    bob_headers = login(bob, "bob")
    run_a = _stress_run(data, "alice")

    assert [r["run_id"] for r in alice.get("/api/runs").json()] == [run_a]
    assert bob.get("/api/runs").json() == []
    assert alice.get(f"/api/runs/{run_a}").status_code == 200
    for url in (f"/api/runs/{run_a}", f"/api/runs/{run_a}/tables/summary", f"/runs/{run_a}"):
        assert bob.get(url).status_code == 404, url
    assert bob.delete(f"/api/runs/{run_a}", headers=bob_headers).status_code == 404
    assert bob.get("/api/runs/compare", params={"a": run_a, "b": run_a}).status_code == 404

    from quasimarket.contracts import contract_template

    body = {"contract_text": contract_template("block"), "n_records": 100}
    pid = alice.post("/api/pricings", json=body, headers=alice_headers).json()["pricing_id"]
    assert alice.get(f"/api/pricings/{pid}").status_code == 200
    assert bob.get(f"/api/pricings/{pid}").status_code == 404
    assert bob.get(f"/pricings/{pid}/download/statement.csv").status_code == 404

    jobs = data / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    job = {"id": "0123456789abcdef", "owner": "alice", "kind": "stress", "state": "done"}
    (jobs / "0123456789abcdef.json").write_text(json.dumps(job))
    assert alice.get("/api/jobs/0123456789abcdef").json()["owner"] == "alice"
    assert bob.get("/api/jobs/0123456789abcdef").status_code == 404
    assert bob.get("/jobs/0123456789abcdef").status_code == 404
    assert bob.get("/api/jobs").json() == []

    assert alice.delete(f"/api/runs/{run_a}", headers=alice_headers).json() == {"deleted": run_a}
    assert alice.get("/api/runs").json() == []


TRAVERSALS = [
    "/runs/..%2F..%2Fsecret_key",
    "/runs/%2e%2e/%2e%2e/secret_key",
    "/api/runs/..%2Fusers.toml",
    "/api/runs/stress-20260101T000000-abcdef%2F..%2F..%2Fsecret_key",
    "/api/runs/stress-20260101T000000-abcdef/tables/..%2F..%2Fsecret_key",
    "/pricings/..%2F..%2F..%2Fsecret_key",
    "/api/pricings/....%2F%2Fsecret_key",
    "/pricings/0123456789abcdef/download/..%2F..%2Fsecret_key",
    "/api/jobs/..%2F..%2Fsecret_key",
    "/jobs/%2e%2e%2fsecret_key",
    "/static/..%2Fapp.py",
    "/static/../../secret_key",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/api/contracts/templates/..%2F..%2Fsecret_key",
    "/api/stress/examples/..%2F__init__",
    "/runs/stress-20260101T000000-abcdef/report.html/..%2F..",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_traversal_attempts_reach_nothing(client: Any, url: str, tmp_path: Path) -> None:
    client.get("/")  # creates the secret key in the data folder
    secret = (tmp_path / "data" / "secret_key").read_text().strip()
    response = client.get(url)
    assert response.status_code in (400, 404, 405, 422), (url, response.status_code)
    assert secret not in response.text
    assert "root:" not in response.text
    assert "import" not in response.text


def test_safe_join_refuses_escapes(tmp_path: Path) -> None:
    from quasimarket.web.storage import NotFoundError, Workspace, safe_join

    for parts in (("..",), ("a/../../b",), ("/etc",), ("a\x00",), ("",), ("..\\x",)):
        with pytest.raises(NotFoundError):
            safe_join(tmp_path, *parts)
    (tmp_path / "link").symlink_to("/etc")
    with pytest.raises(NotFoundError):
        safe_join(tmp_path, "link")
    with pytest.raises(NotFoundError):
        Workspace(tmp_path, "../alice")


def test_uploads_are_size_limited_and_type_checked(client: Any, csrf: Any) -> None:
    from quasimarket.contracts import contract_template

    token = csrf(client)["X-CSRF-Token"]
    text = contract_template("national_tariff")

    def upload(name: str, content: bytes) -> Any:
        files = {"contract_file": (name, content, "application/octet-stream")}
        return client.post(
            "/contracts", data={"csrf_token": token, "action": "upload"}, files=files
        )

    assert "must be a .toml file" in upload("contract.exe", text.encode()).text
    assert "binary data" in upload("contract.toml", b"name = 1\x00").text
    assert "not UTF-8" in upload("contract.toml", b"name = '\xff'").text
    assert "larger than 256 KB" in upload("contract.toml", b"#" * (256 * 1024 + 1)).text
    good = upload("mine.toml", text.replace("Example:", "Uploaded:").encode())
    assert good.status_code == 200
    assert "Uploaded: national tariff" in good.text

    def activity(name: str, content: bytes) -> Any:
        files = {"activity_file": (name, content, "application/octet-stream")}
        form = {"csrf_token": token, "action": "price", "text": text}
        return client.post("/contracts", data=form, files=files)

    assert "unsupported activity file type .py" in activity("a.py", b"print(1)").text
    assert "content is not PARQUET" in activity("a.parquet", b"<script>").text
    assert "content is not XLSX" in activity("a.xlsx", b"not a zip").text
    assert "NUL bytes" in activity("a.csv", b"a,b\n1,\x00").text


def test_the_upload_limit_is_the_servers_and_counts_every_file(make_client: Any, csrf: Any) -> None:
    """A 1 MB server: a request body over it is refused before it is read (413); files that
    fit one by one but not together are refused as they are streamed to disk, and nothing
    is left behind in the user's folder."""
    from quasimarket.contracts import contract_template

    client = make_client(max_upload_mb=1)
    token = csrf(client)["X-CSRF-Token"]
    text = contract_template("national_tariff")
    huge = client.post(
        "/contracts",
        data={"csrf_token": token, "action": "price"},
        files={"activity_file": ("a.csv", b"x" * (3 * 1024 * 1024), "text/csv")},
    )
    assert huge.status_code == 413
    half = b"a,b\n" + b"1,2\n" * (700 * 1024 // 4)  # 0.7 MB each: 1.4 MB together
    form = {"csrf_token": token, "action": "price", "text": text}
    response = client.post(
        "/contracts",
        data=form,
        files=[
            ("activity_file", ("a.csv", half, "text/csv")),
            ("activity_file", ("b.csv", half, "text/csv")),
        ],
    )
    assert response.status_code == 422
    assert "larger than the server&#39;s limit" in response.text
    assert "b.csv" in response.text
    users = client.app.state.web.config.data_dir / "users"
    assert not list(users.rglob("uploads/*/*")), "a refused upload left files behind"
    assert not [p for p in users.rglob("pricings/*") if p.is_dir()]


def test_interrupted_jobs_are_marked_failed_on_restart(make_client: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "jobs").mkdir(parents=True)
    for state in ("queued", "running", "done"):
        job = {"id": f"{state:0<16}"[:16], "owner": "local", "kind": "stress", "state": state}
        (data / "jobs" / f"{job['id']}.json").write_text(json.dumps(job))
    client = make_client(data_dir=data)
    states = {j["id"]: (j["state"], j.get("error")) for j in client.get("/api/jobs").json()}
    assert states["queued0000000000"][0] == "failed"
    assert "server restart" in states["running000000000"][1]
    assert states["done000000000000"] == ("done", None)


def test_uploaded_activity_is_priced_like_the_engine(client: Any, csrf: Any) -> None:
    from quasimarket.activity import synthetic_activity_for_contract
    from quasimarket.contracts import contract_template, parse_contract
    from quasimarket.economy import small_economy
    from quasimarket.money import round_pence
    from quasimarket.pricing import price
    from quasimarket.tariff import TariffTable

    text = contract_template("national_tariff")
    contract = parse_contract(text)
    eco = small_economy(seed=0, year=str(contract.year))  # priced at its own year
    frame = synthetic_activity_for_contract(contract, eco, n_records=250, seed=9)
    upload = ("my activity.csv", frame.to_csv(index=False).encode(), "text/csv")
    form = {"csrf_token": csrf(client)["X-CSRF-Token"], "action": "price", "text": text}
    response = client.post(
        "/contracts", data=form, files={"activity_file": upload}, follow_redirects=False
    )
    assert response.status_code == 303
    pid = response.headers["location"].rsplit("/", 1)[1]
    summary = client.get(f"/api/pricings/{pid}").json()
    assert summary["options"] == {
        "activity": "upload",
        "file": "my activity.csv",
        "activity_file": "upload.csv",
        "economy_seed": 0,
    }
    expected = price(contract, frame, TariffTable.from_economy(eco)).totals()["formal_gbp"]
    assert summary["totals"]["formal_gbp"] == float(round_pence(expected))


def test_hes_extracts_and_a_tariff_upload_price_as_the_command_line_does(
    client: Any, csrf: Any
) -> None:
    """The committed HES APC and A&E extracts and tariff tables (``tests/fixtures/activity``)
    uploaded together are priced exactly as ``price`` prices the same files (£4,900 admitted
    + £180 A&E, worked by hand in tests/unit/test_activity_fixtures.py), and the pricing names
    each file as the user did."""
    from quasimarket.activity import load_activity
    from quasimarket.contracts import parse_contract
    from quasimarket.money import round_pence
    from quasimarket.pricing import price
    from quasimarket.tariff import load_tariff
    from quasimarket.web import service

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "activity"
    text = (fixtures / "contract.toml").read_text(encoding="utf-8")
    apc, ae = (fixtures / "hes_apc.csv").read_bytes(), (fixtures / "hes_ae.csv").read_bytes()
    form = {"csrf_token": csrf(client)["X-CSRF-Token"], "action": "price", "text": text}
    response = client.post(
        "/contracts",
        data=form,
        files=[
            ("activity_file", ("my apc.csv", apc, "text/csv")),
            ("activity_file", ("my ae.csv", ae, "text/csv")),
            *(
                ("tariff_file", (f.name, f.read_bytes(), "text/csv"))
                for f in sorted((fixtures / "tariff").glob("*.csv"))
            ),
        ],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    pid = response.headers["location"].rsplit("/", 1)[1]
    summary = client.get(f"/api/pricings/{pid}").json()
    assert summary["options"]["tariff"] == "ae.csv, apc.csv, outpatient.csv"
    assert summary["options"]["files"] == ["my apc.csv", "my ae.csv"]
    assert any(
        n.startswith("my apc.csv: read as HES Admitted Patient Care") for n in summary["notes"]
    )
    expected = price(
        parse_contract(text),
        load_activity([fixtures / "hes_apc.csv", fixtures / "hes_ae.csv"]),
        load_tariff(fixtures / "tariff"),
    )
    assert expected.totals()["formal_gbp"] == pytest.approx(5080.0)
    assert summary["totals"]["formal_gbp"] == float(round_pence(expected.totals()["formal_gbp"]))
    service._cache.clear()  # re-read from the stored files
    assert client.get(f"/pricings/{pid}").status_code == 200


def test_a_tariff_upload_that_is_not_a_tariff_is_a_clear_error(client: Any, csrf: Any) -> None:
    from quasimarket.contracts import contract_template

    form = {
        "csrf_token": csrf(client)["X-CSRF-Token"],
        "action": "price",
        "text": contract_template("national_tariff"),
    }
    bad = client.post(
        "/contracts", data=form, files={"tariff_file": ("prices.pdf", b"%PDF", "application/pdf")}
    )
    assert "unsupported tariff file type .pdf" in bad.text
    notes = client.post(
        "/contracts", data=form, files={"tariff_file": ("prices.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert "prices.csv" in notes.text
