"""The HTML pages: server-rendered templates in the NHS.UK style, one route per task."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from quasimarket.errors import InputError, QuasimarketError
from quasimarket.web import api, designer, runs_view, service, simulation, views
from quasimarket.web.auth import USER_NAME
from quasimarket.web.config import MAX_CONTRACT_BYTES
from quasimarket.web.deps import (
    check_form_csrf,
    current_user,
    render,
    state,
    workspace,
)
from quasimarket.web.storage import NotFoundError, new_id

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
DEFAULT_TEMPLATE = "national_tariff"
DEFAULT_YEAR = "2016/17"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _text(form: Any, key: str, default: str = "") -> str:
    value = form.get(key)
    return value if isinstance(value, str) else default


def _int(form: Any, key: str, default: int, low: int, high: int) -> int:
    raw = _text(form, key, str(default)).replace(",", "").strip()
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise QuasimarketError(
            f"{key.replace('_', ' ')} must be a whole number from {low:,} to {high:,}",
            location=key,
            expected=f"{low:,} to {high:,}",
            fix="correct the number",
        )
    return int(raw)


# -- home, login --------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Start page: the four jobs."""
    current_user(request)
    return render(request, "home.html", title="quasimarket")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    """Log-in form."""
    return render(request, "login.html", title="Log in", next=_safe_next(next), error=None)


def _safe_next(target: str) -> str:
    """Only same-site paths (no open redirect)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    """Check the password; start a fresh session."""
    form = await request.form()
    check_form_csrf(request, form)
    users = state(request).users
    name, secret = _text(form, "username").strip(), _text(form, "password")
    target = _safe_next(_text(form, "next", "/"))
    if users.enabled and USER_NAME.fullmatch(name) and users.verify(name, secret):
        request.session.clear()
        request.session["user"] = name
        return _see_other(target)
    return render(
        request,
        "login.html",
        401,
        title="Log in",
        next=target,
        error="Enter a correct user name and password",
    )


@router.post("/logout")
async def logout_submit(request: Request) -> Response:
    """End the session."""
    form = await request.form()
    check_form_csrf(request, form)
    request.session.clear()
    return _see_other("/login" if state(request).users.enabled else "/")


# -- structure and economy ----------------------------------------------------------------
@router.get("/structure", response_class=HTMLResponse)
def structure_page(request: Request, year: str = DEFAULT_YEAR, service_id: str = "") -> Response:
    """Who commissions a service in a year; the accountability graph; the era timeline."""
    from quasimarket.structure import eras, graph_to_dict, services, structure_graph
    from quasimarket.structure.drawing import layout

    current_user(request)
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(1991, 2026)]
    if year not in years:
        year = DEFAULT_YEAR
    choices = services(year)
    ids = [s.id for s in choices]
    chosen = service_id if service_id in ids else (ids[0] if ids else "")
    answer = api.who_commissions_api("", chosen, year) if chosen else None
    graph = structure_graph(year)
    data = graph_to_dict(graph)
    figure = views.figure_json(_graph_figure(data, layout(graph)))
    timeline = [e.model_dump(mode="json") for e in eras()]
    return render(
        request,
        "structure.html",
        title="Who commissions what",
        active="structure",
        years=years,
        year=year,
        services=choices,
        service_id=chosen,
        answer=answer,
        graph=data,
        figure=figure,
        eras=timeline,
        era_figure=views.figure_json(_era_figure(timeline, year)),
    )


def _graph_figure(data: dict[str, Any], positions: dict[str, tuple[float, float]]) -> Any:
    import plotly.graph_objects as go

    xs: list[float | None] = []
    ys: list[float | None] = []
    for edge in data["edges"]:
        a, b = positions.get(edge["from"]), positions.get(edge["to"])
        if a and b:
            xs += [a[0], b[0], None]
            ys += [a[1], b[1], None]
    nodes = [n for n in data["nodes"] if n["id"] in positions]
    fig = go.Figure(
        [
            go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#aeb7bd"}, hoverinfo="skip"),
            go.Scatter(
                x=[positions[n["id"]][0] for n in nodes],
                y=[positions[n["id"]][1] for n in nodes],
                mode="markers+text",
                text=[n["label"] for n in nodes],
                textposition="top center",
                hovertext=[f"{n['name']} ({n['category']})" for n in nodes],
                hoverinfo="text",
                marker={"size": 14, "color": "#005eb8"},
            ),
        ]
    )
    fig.update_layout(
        showlegend=False,
        height=460,
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return fig


def _era_figure(timeline: list[dict[str, Any]], year: str) -> Any:
    import plotly.graph_objects as go

    start = int(year[:4])
    last = 2025  # the timeline's last financial year, 2025/26
    for era in timeline:
        era["end"] = era["end"] if era["end"] is not None else last
    fig = go.Figure(
        go.Bar(
            y=[e["name"] for e in timeline],
            x=[e["end"] - e["start"] + 1 for e in timeline],
            base=[e["start"] for e in timeline],
            orientation="h",
            marker={
                "color": [
                    "#005eb8" if e["start"] <= start <= e["end"] else "#aeb7bd" for e in timeline
                ]
            },
            hovertext=[f"{e['start']}–{e['end']}" for e in timeline],
        )
    )
    fig.update_layout(
        height=60 + 36 * len(timeline),
        yaxis={"autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
    )
    return fig


@router.get("/economy", response_class=HTMLResponse)
def economy_page(request: Request, source: str = "england") -> Response:
    """An economy: summary, commissioners, providers, small multiples by region."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from quasimarket.economy import describe_economy

    current_user(request)
    config = state(request).config
    eco = service.economy_for_view(source, seed=config.economy_seed, real_dir=config.real_data_dir)
    info = describe_economy(eco)
    regions = eco.regions
    fig = make_subplots(
        rows=1,
        cols=max(1, len(regions)),
        subplot_titles=[str(n) for n in regions["region_name"]],
        shared_yaxes=True,
    )
    for i, code in enumerate(regions["region_code"], start=1):
        rows = eco.commissioners[eco.commissioners["region_code"] == code]
        fig.add_trace(
            go.Bar(
                x=rows["code"],
                y=rows["allocation_gbp"] / rows["population"],
                name=str(code),
                marker={"color": "#005eb8"},
            ),
            row=1,
            col=i,
        )
    fig.update_layout(showlegend=False, height=340, title="Allocation per head by commissioner, £")
    return render(
        request,
        "economy.html",
        title="Economy",
        active="economy",
        info=info,
        source=source,
        sources=[
            s for s in service.ECONOMY_SOURCES if s != "real" or config.real_data_dir is not None
        ],
        commissioners=views.table(eco.commissioners),
        providers=views.table(eco.providers),
        figure=views.figure_json(fig),
    )


# -- contract designer --------------------------------------------------------------------
def _designer(
    request: Request, text: str, errors: list[designer.FieldError] | None = None, **extra: Any
) -> Response:
    from quasimarket.contracts import TEMPLATE_NAMES

    report = api.contract_report(text)
    if errors:  # form or upload errors replace the validation's
        report["errors"] = [e.to_dict() for e in errors]
        report["valid"] = False
    by_field = {e["field"]: e for e in report["errors"]}
    return render(
        request,
        "designer.html",
        422 if report["errors"] else 200,
        title="Contract designer",
        active="contracts",
        text=text,
        report=report,
        form=report["form"],
        errors=report["errors"],
        by_field=by_field,
        templates=TEMPLATE_NAMES,
        line_fields=designer.LINE_FIELDS,
        **extra,
    )


@router.get("/contracts", response_class=HTMLResponse)
def designer_page(request: Request, template: str = DEFAULT_TEMPLATE) -> Response:
    """Start a contract from a template."""
    from quasimarket.contracts import TEMPLATE_NAMES, contract_template

    current_user(request)
    name = template if template in TEMPLATE_NAMES else DEFAULT_TEMPLATE
    return _designer(request, contract_template(name), template=name)


@router.post("/contracts", response_class=HTMLResponse)
async def designer_submit(request: Request) -> Response:
    """Apply the form, check the text, upload a contract, or price the contract."""
    ws = workspace(request)
    async with request.form(
        max_files=MAX_ACTIVITY_FILES + 2, max_fields=400, max_part_size=2 * MAX_CONTRACT_BYTES
    ) as form:
        check_form_csrf(request, form)
        action = _text(form, "action", "check")
        text = _text(form, "text")
        if action == "upload":
            upload = form.get("contract_file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _designer(request, text, [_upload_error("choose a contract file")])
            data = await upload.read(MAX_CONTRACT_BYTES + 1)
            problem = _contract_upload_problem(upload.filename, data)
            if problem:
                return _designer(request, text, [_upload_error(problem)])
            return _designer(request, data.decode("utf-8"))
        if action == "form":
            fields = {k: v for k, v in form.items() if isinstance(v, str) and k not in _SKIP}
            text, errors = designer.apply_form(text, fields)
            return _designer(request, text, errors or None)
        if action == "price":
            contract, errors = designer.validate(text)
            if contract is None:
                return _designer(request, text, errors)
            staging = ws.root / "uploads" / new_id()
            try:
                activity, tariff_file = _staged(form, staging, state(request).config)
                n = _int(form, "n_records", 5000, 1, service.MAX_GENERATED_RECORDS)
                seed = _int(form, "activity_seed", 0, 0, 2**31 - 1)
                pricing_id = service.price_contract(
                    ws,
                    text,
                    n_records=n,
                    activity_seed=seed,
                    uploads=activity,
                    tariff_uploads=tariff_file,
                    economy_seed=state(request).config.economy_seed,
                )
            except QuasimarketError as error:
                where = ": ".join(p for p in (error.file, error.location) if p) or None
                field = designer.FieldError(
                    "pricing", error.problem, where, error.expected, error.fix
                )
                return _designer(request, text, [field])
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return _see_other(f"/pricings/{pricing_id}")
        return _designer(request, text)


_SKIP = {"csrf_token", "action", "text", "n_records", "activity_seed"}
#: Activity files one pricing may combine (APC, OP, A&E extracts by month ...).
MAX_ACTIVITY_FILES = 24


def _staged(
    form: Any, folder: Path, config: Any
) -> tuple[list[service.Upload], list[service.Upload]]:
    """Stream the form's activity files and tariff files to *folder*, within the upload
    limit of the server (all of them together).

    Raises:
        InputError: the uploads together are over the limit.
    """
    budget = int(config.max_upload_bytes)
    activity: list[service.Upload] = []
    files = [f for f in form.getlist("activity_file") if isinstance(f, UploadFile) and f.filename]
    if len(files) > MAX_ACTIVITY_FILES:
        raise InputError(
            f"{len(files)} activity files in one pricing",
            expected=f"at most {MAX_ACTIVITY_FILES}",
            fix="combine the extracts, or price them with `quasimarket price`",
        )
    for upload in files:
        staged = service.stage_upload(upload.file, str(upload.filename), folder, budget=budget)
        budget -= staged.size
        activity.append(staged)
    tables: list[service.Upload] = []
    for upload in form.getlist("tariff_file"):
        if isinstance(upload, UploadFile) and upload.filename:
            staged = service.stage_upload(upload.file, str(upload.filename), folder, budget=budget)
            budget -= staged.size
            tables.append(staged)
    return activity, tables


def _upload_error(problem: str) -> designer.FieldError:
    return designer.FieldError("contract_file", problem, None, "a .toml contract file", None)


def _contract_upload_problem(filename: str, data: bytes) -> str | None:
    if not filename.lower().endswith(".toml"):
        return "the contract file must be a .toml file"
    if len(data) > MAX_CONTRACT_BYTES:
        return f"the contract file is larger than {MAX_CONTRACT_BYTES // 1024} KB"
    if b"\x00" in data:
        return "the contract file contains binary data"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "the contract file is not UTF-8 text"
    return None


# -- pricing ------------------------------------------------------------------------------
@router.get("/pricings/{pricing_id}", response_class=HTMLResponse)
def pricing_page(request: Request, pricing_id: str, offset: int = 0) -> Response:
    """The itemised statement, rule breakdown and a page of records to drill into."""
    ws = workspace(request)
    summary = service.summary(ws, pricing_id)
    offset = max(0, offset)
    page, total = service.records_page(ws, pricing_id, offset, 25)
    statement = service.statement_frame(ws, pricing_id)
    return render(
        request,
        "pricing.html",
        title=f"Pricing: {summary['contract']}",
        active="contracts",
        summary=summary,
        statement=views.table(statement, limit=120),
        records=views.records(page),
        record_columns=list(page.columns),
        total=total,
        offset=offset,
        pricing_id=pricing_id,
    )


@router.get("/pricings/{pricing_id}/explain", response_class=HTMLResponse)
def explain_page(request: Request, pricing_id: str, record_id: str = "") -> Response:
    """One record's explanation: every rule that touched it, £ and source."""
    ws = workspace(request)
    summary = service.summary(ws, pricing_id)
    try:
        explanation = service.explain(ws, pricing_id, record_id[:64])
        error = None
    except QuasimarketError as problem:
        explanation, error = None, problem.problem
    return render(
        request,
        "explain.html",
        404 if error else 200,
        title=f"Record {record_id}",
        active="contracts",
        summary=summary,
        explanation=explanation,
        error=error,
        record_id=record_id,
        pricing_id=pricing_id,
    )


@router.get("/pricings/{pricing_id}/download/{name}")
def pricing_download(request: Request, pricing_id: str, name: str) -> Response:
    """Download the statement (CSV or Parquet)."""
    ws = workspace(request)
    formats = {"statement.csv": "csv", "statement.parquet": "parquet"}
    if name not in formats:
        raise NotFoundError(name)
    fmt = formats[name]
    return api.download(
        service.statement_bytes(ws, pricing_id, fmt), f"statement-{pricing_id}", fmt
    )


# -- stress tests -------------------------------------------------------------------------
@router.get("/stress", response_class=HTMLResponse)
def stress_page(request: Request, example: str = "acute-designs") -> Response:
    """Choose a scenario, designs, draws and seed."""
    from quasimarket.stress import EXAMPLES, example_text, parse_scenario

    current_user(request)
    name = example if example in EXAMPLES else "acute-designs"
    text = example_text(name)
    scenario = parse_scenario(text, source=name)
    return _stress_form(request, name, text, [d.name for d in scenario.designs], None)


def _stress_form(
    request: Request, example: str, text: str, designs: list[str], error: dict[str, Any] | None
) -> Response:
    from quasimarket.stress import EXAMPLES

    return render(
        request,
        "stress.html",
        422 if error else 200,
        title="Stress test",
        active="stress",
        examples=EXAMPLES,
        example=example,
        text=text,
        designs=designs,
        error=error,
        jobs=[j for j in state(request).jobs.list(current_user(request)) if j["kind"] == "stress"][
            :5
        ],
    )


@router.post("/stress", response_class=HTMLResponse)
async def stress_submit(request: Request) -> Response:
    """Queue the stress test; go to its progress page."""
    ws = workspace(request)
    form = await request.form()
    check_form_csrf(request, form)
    text = _text(form, "scenario_text")
    chosen = [d for d in form.getlist("designs") if isinstance(d, str)]
    example = _text(form, "example", "acute-designs")
    try:
        body = api.StressRequest(
            scenario_text=text,
            designs=chosen or None,
            draws=_int(form, "draws", 4096, 100, 200_000),
            seed=_int(form, "seed", 0, 0, 2**31 - 1),
        )
        job = api.submit(request, ws, "stress", api.stress_scenario(body))
    except QuasimarketError as error:
        return _stress_form(request, example, text, chosen, error.to_dict())
    except ValueError as error:
        problem = {"problem": str(error), "location": "form", "expected": None, "fix": None}
        return _stress_form(request, example, text, chosen, problem)
    return _see_other(f"/jobs/{job['id']}")


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> Response:
    """A job's progress (polled by the page); a link to its run when done."""
    user = current_user(request)
    job = state(request).jobs.get(user, job_id)
    return render(request, "job.html", title="Job progress", active=job["kind"], job=job)


# -- simulation ---------------------------------------------------------------------------
@router.get("/simulation", response_class=HTMLResponse)
def simulation_page(request: Request) -> Response:
    """Choose a regime and years; past simulation runs."""
    return _simulation_form(request, None)


@router.post("/simulation", response_class=HTMLResponse)
async def simulation_submit(request: Request) -> Response:
    """Queue a simulation; go to its progress page."""
    ws = workspace(request)
    form = await request.form()
    check_form_csrf(request, form)
    if not simulation.available():
        raise NotFoundError("simulation")
    first, last = _text(form, "first_year").strip(), _text(form, "last_year").strip()
    years = f"{first}:{last}" if first and last else (first or None)
    try:
        body = api.SimulationRequest(
            regime=_text(form, "regime"),
            years=years,
            draws=_int(form, "draws", 8, 1, 200),
            seed=_int(form, "seed", 0, 0, 2**31 - 1),
        )
        scenario = simulation.resolve(body.regime, body.years, body.draws, body.seed)
    except QuasimarketError as error:
        return _simulation_form(request, error.render(), 422)
    except ValueError as error:
        return _simulation_form(request, f"check the years, draws and seed: {error}", 422)
    job = api.submit(request, ws, "simulation", scenario)
    return _see_other(f"/jobs/{job['id']}")


def _simulation_form(request: Request, error: str | None, status: int = 200) -> Response:
    ws = workspace(request)
    return render(
        request,
        "simulation.html",
        status,
        title="Simulation",
        active="simulation",
        available=simulation.available(),
        regimes=simulation.regimes(),
        runs=runs_view.list_runs(ws, "simulation"),
        error=error,
    )


# -- runs ---------------------------------------------------------------------------------
@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, kind: str = "") -> Response:
    """The user's runs: open, compare two, delete."""
    ws = workspace(request)
    chosen = kind if kind in ("stress", "simulation") else None
    return render(
        request,
        "runs.html",
        title="Runs",
        active="runs",
        runs=runs_view.list_runs(ws, chosen),
        kind=chosen or "",
    )


@router.get("/runs/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, a: str = "", b: str = "", org: str = "", metric: str = ""
) -> Response:
    """Two runs side by side (two simulations: one measure of both, with bands)."""
    ws = workspace(request)
    result = runs_view.compare(ws, a, b)
    figure, series = None, {}
    if result.a.kind == result.b.kind == "simulation":
        monthly_a = runs_view.table(ws, a, "monthly")
        monthly_b = runs_view.table(ws, b, "monthly")
        orgs = list(dict.fromkeys(monthly_a["org_code"].astype(str)))
        metrics = list(dict.fromkeys(monthly_a["metric"].astype(str)))
        org = org if org in orgs else (orgs[0] if orgs else "")
        default = "waiting_list" if "waiting_list" in metrics else (metrics[0] if metrics else "")
        metric = metric if metric in metrics else default
        if org and metric:
            fig = simulation.compare_figure(monthly_a, monthly_b, org, metric)
            figure = (views.figure_json(fig), str(fig.layout.title.text))
        series = {"orgs": orgs, "metrics": metrics, "org": org, "metric": metric}
    return render(
        request,
        "compare.html",
        title="Compare runs",
        active="runs",
        comparison=result,
        figure=figure,
        series=series,
        tables=views.table(result.tables),
        numeric=views.table(result.numeric, limit=300),
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, org: str = "", metric: str = "") -> Response:
    """A run: manifest, result tables, and (for stress tests) the charts."""
    ws = workspace(request)
    record = runs_view.get(ws, run_id)
    tables = {
        name: views.table(runs_view.table(ws, run_id, name, 60))
        for name in record.tables
        if name != "outcomes"
    }
    figures = runs_view.stress_figures(ws, run_id) if record.kind == "stress" else []
    series: dict[str, Any] = {}
    if record.kind == "simulation":
        figures, series = _simulation_figures(ws, run_id, org, metric)
    return render(
        request,
        "run.html",
        title=record.name or record.run_id,
        active="runs",
        record=record,
        tables=tables,
        figures=figures,
        series=series,
    )


def _simulation_figures(
    ws: Any, run_id: str, org: str, metric: str
) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Time series with uncertainty band for a chosen organisation and metric; attribution."""
    monthly = runs_view.table(ws, run_id, "monthly")
    orgs = list(dict.fromkeys(monthly["org_code"].astype(str)))
    metrics = list(dict.fromkeys(monthly["metric"].astype(str)))
    org = org if org in orgs else (orgs[0] if orgs else "")
    default = "waiting_list" if "waiting_list" in metrics else (metrics[0] if metrics else "")
    metric = metric if metric in metrics else default
    figures = []
    if org and metric:
        fig = simulation.series_figure(monthly, org, metric)
        figures.append((views.figure_json(fig), str(fig.layout.title.text)))
    record = runs_view.get(ws, run_id)
    if "attribution" in record.tables:
        attribution = runs_view.table(ws, run_id, "attribution")
        if len(attribution):
            fig = simulation.attribution_figure(attribution)
            figures.append((views.figure_json(fig), str(fig.layout.title.text)))
    return figures, {"orgs": orgs, "metrics": metrics, "org": org, "metric": metric}


@router.get("/runs/{run_id}/report.html")
def run_report(request: Request, run_id: str) -> Response:
    """Download the stress tester's HTML report."""
    ws = workspace(request)
    return api.download(runs_view.report_html(ws, run_id).encode("utf-8"), run_id, "html")


@router.post("/runs/{run_id}/delete")
async def run_delete(request: Request, run_id: str) -> Response:
    """Delete a run."""
    ws = workspace(request)
    form = await request.form()
    check_form_csrf(request, form)
    runs_view.delete(ws, run_id)
    return _see_other("/runs?" + urlencode({"deleted": run_id}))
