"""The JSON API (``/api/...``): everything the pages do, documented by the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from quasimarket.errors import ConfigError
from quasimarket.web import designer, runs_view, service, simulation, views
from quasimarket.web.auth import USER_NAME, csrf_token
from quasimarket.web.config import MAX_CONTRACT_BYTES, MAX_SCENARIO_BYTES
from quasimarket.web.deps import check_api_csrf, current_user, state, workspace
from quasimarket.web.storage import NotFoundError, Workspace

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])
Json = dict[str, Any]
WS = Annotated[Workspace, Depends(workspace)]
User = Annotated[str, Depends(current_user)]
Csrf = Depends(check_api_csrf)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Log in first (authentication on)"},
    403: {"description": "Missing or wrong X-CSRF-Token"},
    404: {"description": "Not found (or another user's)"},
    422: {"description": "Invalid input: problem, location, expected, fix"},
}
YEAR = Query(pattern=r"^\d{4}/\d{2}$", examples=["2016/17"], description="Financial year")


class LoginBody(BaseModel):
    """A login attempt."""

    username: str = Field(max_length=32)
    password: str = Field(max_length=256)


class ContractText(BaseModel):
    """A contract as ``quasimarket.contract/1`` TOML text."""

    text: str = Field(max_length=MAX_CONTRACT_BYTES)


class FormEdit(BaseModel):
    """Form fields to set in a contract's text (``name``, ``lines.0.planned_activity`` …)."""

    text: str = Field(max_length=MAX_CONTRACT_BYTES)
    fields: dict[str, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=200
    )


class PricingRequest(BaseModel):
    """Price a contract on synthetic activity generated for its parties and pods."""

    contract_text: str = Field(max_length=MAX_CONTRACT_BYTES)
    n_records: int = Field(5_000, ge=1, le=service.MAX_GENERATED_RECORDS)
    activity_seed: int = Field(0, ge=0, le=2**31 - 1)
    achievement: dict[str, Any] | None = Field(
        None,
        max_length=10,
        description="Achievement at pricing time, the shape of a quasimarket.achievement/1 "
        'file (docs/pricing.md): {"cquin": {goal: share}, "providers": {code: {...}}, '
        '"lines": {id: {"cquin": {...}, "outcome_achievement": share}}, '
        '"alliance": {"outcome_achievement": share}}; "format" may be left out',
        examples=[{"cquin": {"Staff health and wellbeing": 0.8}}],
    )
    performance: dict[str, Any] | None = Field(
        None,
        max_length=10,
        description="Performance against standards, the shape of a quasimarket.performance/1 "
        'file (docs/pricing.md): {"standards": {name: {"numerator": n, "denominator": d} or '
        '{"count": n}}, "providers": {code: {name: {...}}}, "lines": {id: {name: {...}}}}; '
        "denominators of activity standards (ae_4_hour) must match the activity",
        examples=[{"lines": {"ae": {"ae_4_hour": {"numerator": 900, "denominator": 1000}}}}],
    )


class StressRequest(BaseModel):
    """A stress test: a built-in example or scenario text, optionally fewer designs."""

    example: str | None = Field(None, max_length=64)
    scenario_text: str | None = Field(None, max_length=MAX_SCENARIO_BYTES)
    designs: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=50)
    draws: int | None = Field(None, ge=100, le=200_000)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class SimulationRequest(BaseModel):
    """A simulation: a built-in regime scenario, its years (``2013/14:2015/16``), draws."""

    regime: str = Field(max_length=64)
    years: str | None = Field(None, pattern=r"^\d{4}/\d{2}(:\d{4}/\d{2})?$")
    draws: int = Field(8, ge=1, le=200)
    seed: int = Field(0, ge=0, le=2**31 - 1)


# -- session ------------------------------------------------------------------------------
@router.get("/session", responses=ERRORS)
def session_info(request: Request) -> Json:
    """Who is logged in, whether authentication is on, and the CSRF token for unsafe calls."""
    web = state(request)
    try:
        user: str | None = current_user(request)
    except Exception:
        user = None
    return {"user": user, "auth": web.users.enabled, "csrf_token": csrf_token(request.session)}


@router.post("/login", responses=ERRORS, dependencies=[Csrf])
def login(request: Request, body: LoginBody) -> Json:
    """Log in (sets the session cookie); 401 on a wrong name or password."""
    users = state(request).users
    if not users.enabled or not USER_NAME.fullmatch(body.username):
        return JSONResponse({"detail": "wrong user name or password"}, status_code=401)  # type: ignore[return-value]
    if not users.verify(body.username, body.password):
        return JSONResponse({"detail": "wrong user name or password"}, status_code=401)  # type: ignore[return-value]
    request.session.clear()
    request.session["user"] = body.username
    return {"user": body.username, "csrf_token": csrf_token(request.session)}


@router.post("/logout", responses=ERRORS, dependencies=[Csrf])
def logout(request: Request) -> Json:
    """End the session."""
    request.session.clear()
    return {"user": None}


# -- structure ----------------------------------------------------------------------------
@router.get("/structure/eras", responses=ERRORS)
def eras_api(_: User) -> list[Json]:
    """The era timeline, 1991/92 to 2025/26, with sources."""
    from quasimarket.structure import eras

    return [e.model_dump(mode="json") for e in eras()]


@router.get("/structure/services", responses=ERRORS)
def services_api(_: User, year: Annotated[str, YEAR]) -> list[Json]:
    """Services described in *year* (id and name)."""
    from quasimarket.structure import services

    return [{"id": s.id, "name": s.name} for s in services(year)]


@router.get("/structure/who-commissions", responses=ERRORS)
def who_commissions_api(
    _: User,
    service_id: Annotated[str, Query(alias="service", max_length=200)],
    year: Annotated[str, YEAR],
) -> Json:
    """Who commissions a service in a year, under what arrangement, with sources."""
    from quasimarket.structure import who_commissions

    return who_commissions(service_id, year).to_dict()


@router.get("/structure/graph", responses=ERRORS)
def graph_api(_: User, year: Annotated[str, YEAR]) -> Json:
    """The accountability and funding graph in a year (nodes and edges with sources)."""
    from quasimarket.structure import graph_to_dict, structure_graph

    return graph_to_dict(structure_graph(year))


# -- economy ------------------------------------------------------------------------------
EconomySource = Literal["england", "small", "real"]


@router.get("/economy", responses=ERRORS)
def economy_api(
    request: Request,
    _: User,
    source: Annotated[EconomySource, Query(description="england, small or real")] = "england",
) -> Json:
    """An economy: description, commissioners and providers (built-in England by default)."""
    config = state(request).config
    eco = service.economy_for_view(source, seed=config.economy_seed, real_dir=config.real_data_dir)
    from quasimarket.economy import describe_economy

    return {
        "description": describe_economy(eco),
        "commissioners": views.records(eco.commissioners),
        "providers": views.records(eco.providers),
    }


# -- contracts ----------------------------------------------------------------------------
@router.get("/contracts/templates", responses=ERRORS)
def templates_api(_: User) -> list[str]:
    """Names of the contract templates (mechanisms and rules)."""
    from quasimarket.contracts import TEMPLATE_NAMES

    return list(TEMPLATE_NAMES)


@router.get("/contracts/templates/{name}", responses=ERRORS)
def template_api(_: User, name: str) -> Json:
    """An annotated contract template."""
    from quasimarket.contracts import TEMPLATE_NAMES, contract_template

    if name not in TEMPLATE_NAMES:
        raise NotFoundError(name)
    return {"name": name, "text": contract_template(name)}


def contract_report(text: str) -> Json:
    """Validation errors (placed on form fields), or the summary and risk table."""
    contract, errors = designer.validate(text)
    out: Json = {
        "valid": contract is not None,
        "errors": [e.to_dict() for e in errors],
        "form": designer.form_values(text),
    }
    if contract is not None:
        out["summary"] = contract.summary()
        out["risk_table"] = [dict(row) for row in contract.risk_table()]
    return out


@router.post("/contracts/validate", responses=ERRORS, dependencies=[Csrf])
def validate_api(_: User, body: ContractText) -> Json:
    """Check a contract: errors beside their field, or the plain-English summary and who
    bears which risk."""
    return contract_report(body.text)


@router.post("/contracts/apply-form", responses=ERRORS, dependencies=[Csrf])
def apply_form_api(_: User, body: FormEdit) -> Json:
    """Set form fields in a contract's text, then check it."""
    text, errors = designer.apply_form(body.text, body.fields)
    if errors:
        return {"text": text, "valid": False, "errors": [e.to_dict() for e in errors]}
    return {"text": text, **contract_report(text)}


# -- pricing ------------------------------------------------------------------------------
@router.post("/pricings", responses=ERRORS, dependencies=[Csrf], status_code=201)
def create_pricing(request: Request, ws: WS, body: PricingRequest) -> Json:
    """Price a contract on generated activity; the summary (totals, lines, breakdown).

    Optional ``achievement`` and ``performance`` take the shape of the achievement and
    performance files of ``quasimarket price`` (422 naming the key on bad input)."""
    pricing_id = service.price_contract(
        ws,
        body.contract_text,
        n_records=body.n_records,
        activity_seed=body.activity_seed,
        economy_seed=state(request).config.economy_seed,
        achievement=body.achievement,
        performance=body.performance,
    )
    return service.summary(ws, pricing_id)


@router.get("/pricings/{pricing_id}", responses=ERRORS)
def pricing_api(ws: WS, pricing_id: str) -> Json:
    """A pricing's summary: totals, per-line totals, per-rule breakdown, notes."""
    return service.summary(ws, pricing_id)


@router.get("/pricings/{pricing_id}/statement", responses=ERRORS)
def statement_api(ws: WS, pricing_id: str) -> list[Json]:
    """The itemised line x month statement (£ rounded to pence)."""
    return views.records(service.statement_frame(ws, pricing_id))


@router.get("/pricings/{pricing_id}/records", responses=ERRORS)
def records_api(
    ws: WS,
    pricing_id: str,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Json:
    """A page of per-record prices."""
    page, total = service.records_page(ws, pricing_id, offset, limit)
    return {"total": total, "offset": offset, "records": views.records(page)}


@router.get("/pricings/{pricing_id}/explain/{record_id}", responses=ERRORS)
def explain_api(ws: WS, pricing_id: str, record_id: str) -> Json:
    """Every rule that touched one record: £ effect and source."""
    if len(record_id) > 64:
        raise NotFoundError(record_id)
    return service.explain(ws, pricing_id, record_id)


@router.get(
    "/pricings/{pricing_id}/statement.{fmt}",
    responses={**ERRORS, 200: {"content": {"text/csv": {}, "application/octet-stream": {}}}},
    response_class=Response,
)
def statement_download(ws: WS, pricing_id: str, fmt: str) -> Response:
    """The statement as CSV or Parquet."""
    if fmt not in ("csv", "parquet"):
        raise NotFoundError(fmt)
    return download(service.statement_bytes(ws, pricing_id, fmt), f"statement-{pricing_id}", fmt)


def download(data: bytes, stem: str, fmt: str) -> Response:
    """An attachment response."""
    media = {"csv": "text/csv; charset=utf-8", "parquet": "application/octet-stream"}
    media["html"] = "text/html; charset=utf-8"
    return Response(
        data,
        media_type=media[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


# -- stress tests and simulations ---------------------------------------------------------
@router.get("/stress/examples", responses=ERRORS)
def stress_examples(_: User) -> dict[str, str]:
    """The built-in stress-test scenarios."""
    from quasimarket.stress import EXAMPLES

    return dict(EXAMPLES)


@router.get("/stress/examples/{name}", responses=ERRORS)
def stress_example(_: User, name: str) -> Json:
    """A built-in scenario's TOML text."""
    from quasimarket.stress import EXAMPLES, example_text

    if name not in EXAMPLES:
        raise NotFoundError(name)
    return {"name": name, "text": example_text(name)}


def stress_scenario(body: StressRequest) -> Json:
    """The resolved scenario (JSON) for a stress request.

    Raises:
        ConfigError: neither or both of example and text; unknown designs; invalid scenario.
    """
    from pydantic import ValidationError

    from quasimarket.errors import from_validation_error
    from quasimarket.stress import Scenario, example_text, parse_scenario
    from quasimarket.stress.scenario import check_references

    if (body.example is None) == (body.scenario_text is None):
        raise ConfigError(
            "give a built-in example or scenario text (exactly one)",
            location="example",
            expected="example or scenario_text",
            fix="choose an example, or paste a scenario",
        )
    text = example_text(body.example) if body.example is not None else body.scenario_text
    scenario = parse_scenario(text or "", source="scenario")
    data = scenario.model_dump(mode="json")
    if body.designs:
        known = [d["name"] for d in data["designs"]]
        unknown = [d for d in body.designs if d not in known]
        if unknown:
            raise ConfigError(
                f"unknown design {unknown[0]!r}",
                location="designs",
                expected="one of " + ", ".join(known),
                fix="choose designs of the scenario",
            )
        data["designs"] = [d for d in data["designs"] if d["name"] in body.designs]
    data.update({k: v for k, v in (("draws", body.draws), ("seed", body.seed)) if v is not None})
    try:
        updated = Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, file="request", what="stress options") from None
    check_references(updated)
    return updated.model_dump(mode="json")


@router.post("/stress/jobs", responses=ERRORS, dependencies=[Csrf], status_code=202)
def stress_job(request: Request, ws: WS, body: StressRequest) -> Json:
    """Start a stress test in the background; the job (poll GET /api/jobs/{id})."""
    scenario = stress_scenario(body)
    return submit(request, ws, "stress", scenario)


def submit(request: Request, ws: WS, kind: str, scenario: Json) -> Json:
    """Queue a job for the user."""
    import json

    payload: Json = {
        "owner": ws.user,
        "scheduler": state(request).config.scheduler,
        "name": scenario.get("name", kind),
        "scenario": json.loads(json.dumps(scenario)),
    }
    jobs = state(request).jobs
    job_id = jobs.submit(ws.user, kind, ws.runs, payload)
    return jobs.get(ws.user, job_id)


@router.post(
    "/simulation/jobs",
    responses={**ERRORS, 501: {"description": "No simulation engine installed"}},
    dependencies=[Csrf],
    status_code=202,
)
def simulation_job(request: Request, ws: WS, body: SimulationRequest) -> Json:
    """Start a simulation in the background (501 when the engine is not installed)."""
    if not simulation.available():
        return JSONResponse(  # type: ignore[return-value]
            {"detail": "the simulation engine is not installed"}, status_code=501
        )
    scenario = simulation.resolve(body.regime, body.years, body.draws, body.seed)
    return submit(request, ws, "simulation", scenario)


@router.get("/simulation/regimes", responses=ERRORS)
def simulation_regimes(_: User) -> dict[str, str]:
    """The built-in regime scenarios (empty when the engine is not installed)."""
    return simulation.regimes()


@router.get("/jobs", responses=ERRORS)
def jobs_api(request: Request, user: User) -> list[Json]:
    """The user's background jobs, newest first."""
    return state(request).jobs.list(user)


@router.get("/jobs/{job_id}", responses=ERRORS)
def job_api(request: Request, user: User, job_id: str) -> Json:
    """One job: state (queued, running, done, failed), progress 0-1, run id, error."""
    return state(request).jobs.get(user, job_id)


# -- runs ---------------------------------------------------------------------------------
@router.get("/runs", responses=ERRORS)
def runs_api(
    ws: WS, kind: Annotated[str | None, Query(pattern="^(stress|simulation)$")] = None
) -> list[Json]:
    """The user's complete runs, newest first."""
    return [r.to_dict() for r in runs_view.list_runs(ws, kind)]


@router.get("/runs/compare", responses=ERRORS)
def compare_api(
    ws: WS, a: Annotated[str, Query(max_length=64)], b: Annotated[str, Query(max_length=64)]
) -> Json:
    """Compare two runs: scenario changes, tables, means of numeric columns (b − a)."""
    cleaned: Json = _clean(runs_view.compare(ws, a, b).to_dict())
    return cleaned


@router.get("/runs/{run_id}", responses=ERRORS)
def run_api(ws: WS, run_id: str) -> Json:
    """A run's record and manifest."""
    record = runs_view.get(ws, run_id)
    cleaned: Json = _clean({"run": record.to_dict(), "manifest": record.manifest})
    return cleaned


@router.get("/runs/{run_id}/tables/{name}", responses=ERRORS)
def run_table_api(
    ws: WS, run_id: str, name: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000
) -> list[Json]:
    """Rows of one result table of a run."""
    return views.records(runs_view.table(ws, run_id, name, limit))


@router.delete("/runs/{run_id}", responses=ERRORS, dependencies=[Csrf])
def delete_run_api(ws: WS, run_id: str) -> Json:
    """Delete a run (catalog row, then folder)."""
    return {"deleted": runs_view.delete(ws, run_id).run_id}


def _clean(value: Any) -> Any:
    """NaN and infinities to None, recursively (strict JSON)."""
    import json
    import math

    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        return _clean(value.item())
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value
