"""The application factory: middleware (security headers, hosts, sessions), errors, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from quasimarket import __version__
from quasimarket.errors import QuasimarketError
from quasimarket.web import views
from quasimarket.web.auth import load_users
from quasimarket.web.config import WebConfig
from quasimarket.web.deps import TEMPLATES, CsrfError, LoginRequiredError, WebState, render
from quasimarket.web.jobs import JobManager
from quasimarket.web.storage import NotFoundError

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"
#: Content-Security-Policy: only this origin's scripts (no inline script), no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: Room for the form fields beside the uploads in one request body, bytes.
_FORM_OVERHEAD = 1024 * 1024


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    text: str = get_plotlyjs()
    return text.encode("utf-8")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(config: WebConfig | None = None) -> FastAPI:
    """The web application for *config* (default: ``./quasimarket-web`` on 127.0.0.1).

    Raises:
        ConfigError: a non-loopback host without users, or a bad users file.
    """
    config = config or WebConfig()
    users = load_users(config.users_path)
    config.check_exposure(users.enabled)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(
        fmt=views.fmt, version=__version__, max_upload_mb=config.max_upload_mb
    )
    jobs = JobManager(config.data_dir, workers=config.workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # uvicorn runs this shutdown on SIGTERM and SIGINT: without it the job workers
        # outlive the server, finishing (and storing) jobs nobody can follow
        try:
            yield
        finally:
            jobs.shutdown()

    app = FastAPI(
        title="quasimarket web API",
        version=__version__,
        description=(
            "Price activity under NHS contract terms, stress-test who bears the financial risk, "
            "simulate policy regimes and explain who commissions what. Unsafe methods need the "
            "session's CSRF token (GET /api/session) in the X-CSRF-Token header; with "
            "authentication on, log in first (POST /api/login)."
        ),
        lifespan=lifespan,
        docs_url=None,  # the interactive docs page would load scripts from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = WebState(config, users, jobs, templates)
    jobs.recover()

    @app.middleware("http")
    async def security(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        limit = config.max_upload_bytes + _FORM_OVERHEAD  # uploads are counted again as staged
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=config.secret_key(),
        session_cookie="quasimarket_session",
        same_site="strict",
        https_only=config.cookies_secure,
        max_age=8 * 3600,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=config.hosts)

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "log in first"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, exc: CsrfError) -> Response:
        detail = "missing or wrong CSRF token: reload the page and try again"
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=403)
        return render(request, "error.html", 403, title="Request refused", message=detail)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not found"}, status_code=404)
        return render(
            request, "error.html", 404, title="Page not found", message="Nothing is here."
        )

    @app.exception_handler(QuasimarketError)
    async def user_error(request: Request, exc: QuasimarketError) -> Response:
        if _wants_json(request):
            return JSONResponse(exc.to_dict(), status_code=422)
        return render(request, "error.html", 422, title="There is a problem", message=exc.render())

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        """plotly.js as shipped inside the installed ``plotly`` Python package."""
        return Response(
            _plotly_js(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    from quasimarket.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
