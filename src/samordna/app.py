"""The composition root: `create_app(settings)` wires settings, services and the web layer."""

from __future__ import annotations

import asyncio
import gc
from functools import partial
from pathlib import Path

from litestar import Litestar, Request, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from samordna import api
from samordna.accounts import account_pages
from samordna.accounts import web as accounts
from samordna.accounts.sessions import DatabaseStore
from samordna.attachments import web as attachments
from samordna.boards import web as boards
from samordna.calendar import web as calendar
from samordna.diagrams import web as diagrams
from samordna.domain.errors import DomainError
from samordna.live import web as live
from samordna.live.channels import Publisher, announces_through_database, channels_plugin, notify_in
from samordna.measures import export_web as measure_export
from samordna.measures import list_web as measure_list
from samordna.measures import web as measures
from samordna.meetings import live as meetings_live
from samordna.meetings import web as meetings
from samordna.notifications import web as notifications
from samordna.organisation import web as organisation
from samordna.reports import web as reports
from samordna.services import Services
from samordna.settings import Settings
from samordna.transfer import web as transfer
from samordna.web.api_doc import DocumentedStructs
from samordna.web.edge import refuse_nul
from samordna.web.errors import domain_error, http_error, ids_in_range, internal_error
from samordna.web.rendering import STATIC_DIR, configure_jinja
from samordna.web.security import security_headers
from samordna.web.security_log import refusal_log
from samordna.web.session import ABSOLUTE_SECONDS, RotatingSessionConfig, cookie_key

YEAR = 365 * 24 * 3600


@get("/healthz", sync_to_thread=True, include_in_schema=False)
def healthz(services: NamedDependency[Services]) -> dict[str, str]:
    services.ping()
    return {"status": "ok"}


def service_dependencies(services: Services, settings: Settings | None = None) -> dict[str, Provide]:
    """The services as Litestar dependencies: a handler declares `measures: NamedDependency[MeasureService]`.
    `settings`: the app's, when it was given other settings than its services were built with (a test's)."""

    def provider(value: object) -> Provide:
        def provide() -> object:
            return value

        return Provide(provide, use_cache=True, sync_to_thread=False)

    return {
        "services": provider(services),
        "settings": provider(settings or services.settings),
        "workflows": provider(services.workflows),
        "accounts": provider(services.accounts),
        "organisation": provider(services.organisation),
        "measures": provider(services.measures),
        "boards": provider(services.boards),
        "meetings": provider(services.meetings),
        "calendar": provider(services.calendar),
        "reports": provider(services.reports),
        "transfer": provider(services.transfer),
        "notifications": provider(services.notifications),
        "attachments": provider(services.attachments),
        "live": provider(services.live),
        "passwords": provider(services.passwords),
    }


async def before_request(request: Request) -> None:
    """Every request's before_request (pages and API): the language of what is rendered or answered, then
    `ids_in_range` (an integer in the path no database column can hold is a 404). A hook rather than a guard:
    it runs at the same point, before a body is read or a dependency resolved, and Litestar copies the whole
    handler for every guard it calls, on every request (a sync guard also in a worker thread of its own)."""
    await accounts.set_language_hook(request)
    ids_in_range(request, request.route_handler)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    services = services or Services.build(settings)

    scheduler = None
    if settings.scheduler:
        from samordna.notifications.scheduler import Scheduler

        scheduler = Scheduler(services.notifications)

    # Live boards (DESIGN.md §15): committed measure changes go out on the area's channel; the streams listen.
    # On PostgreSQL each change is a NOTIFY in its own write transaction (samordna.live.channels.notify_in, attached
    # by samordna.services; again here, once, for services built with other settings); in memory the Publisher
    # hands each committed change to this app's plugin.
    through_database = announces_through_database(settings.database_url, settings.live_backend)
    channels = channels_plugin(settings.database_url if through_database else "memory://")
    publisher = Publisher(channels)
    listening: list = []

    def on_startup(app: Litestar) -> None:
        app.state.services = services
        app.state.scheduler = scheduler
        if through_database:
            services.measures.changes.listen_in_transaction(notify_in)
        else:
            publisher.start(asyncio.get_running_loop())
            listening.append(services.measures.changes.listen(publisher))
        services.attachments.sweep()  # what a crash left: uploads cut off, files no row names
        if scheduler is not None:
            scheduler.start()  # a task in this event loop; the work runs in a worker thread
        gc.collect()
        gc.freeze()

    async def on_shutdown(app: Litestar) -> None:
        for stop in listening:
            stop()
        publisher.stop()
        if scheduler is not None:
            await scheduler.stop()
        services.passwords.close()
        services.db.dispose()

    sessions = RotatingSessionConfig(
        store="sessions",
        key=cookie_key(settings.secure_cookies),
        max_age=ABSOLUTE_SECONDS,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        exclude=["^/static/", "^/api/", "^/schema", "^/healthz"],
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="__Host-csrftoken" if settings.secure_cookies else "csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        # The API authenticates with bearer tokens, which browsers never send. Uploads check the token
        # themselves: the middleware would read the whole body as a form to find it (samordna.attachments.web).
        exclude=["^/api/", attachments.UPLOAD_PATHS],
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(public=True, max_age=YEAR, immutable=True),
        include_in_schema=False,
        name="static",
    )

    app = Litestar(
        route_handlers=[
            api.ApiController,
            api.AttachmentApiController,
            Router(  # the browser's pages and forms: not part of the API, so not in its OpenAPI document
                path="/",
                include_in_schema=False,
                route_handlers=[
                    healthz,
                    diagrams.workflow_page,
                    *accounts.HANDLERS,
                    *account_pages.HANDLERS,
                    *measures.HANDLERS,
                    *measure_list.HANDLERS,
                    *measure_export.HANDLERS,
                    boards.BoardController,
                    *organisation.HANDLERS,
                    *meetings.HANDLERS,
                    *meetings_live.HANDLERS,
                    *calendar.HANDLERS,
                    *reports.HANDLERS,
                    *transfer.HANDLERS,
                    *notifications.HANDLERS,
                    *attachments.HANDLERS,
                    *live.HANDLERS,
                ],
            ),
            static,
        ],
        # Every handler names the services it calls; each is built once, here (samordna.services).
        dependencies=service_dependencies(services, settings),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        before_request=before_request,
        middleware=[refuse_nul, sessions.middleware, refusal_log],
        stores={"sessions": DatabaseStore(services.db)},
        csrf_config=csrf,
        plugins=[HTMXPlugin(), DocumentedStructs(), channels],
        exception_handlers={
            accounts.LoginRequired: accounts.login_redirect,
            DomainError: domain_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
        template_config=TemplateConfig(
            directory=Path(settings.templates_dir),
            engine=JinjaTemplateEngine,
            engine_callback=partial(configure_jinja, reload=settings.debug),
        ),
        openapi_config=OpenAPIConfig(
            title="Samordna API",
            version="1",
            description="Tiltak i SLT-modellen: registrer behov, flytt tiltak gjennom arbeidsflyten.",
            path="/schema",
            components=Components(security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}),
        ),
        # 500s are logged by internal_error. The transitions library logs two INFO lines per fired trigger:
        # not worth a write to stderr on every transition.
        logging_config=LoggingConfig(
            log_exceptions="never", loggers={"transitions": {"level": "WARNING", "propagate": True}}
        ),
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
    )
    app.state.sections = attachments.sections(services.attachments)  # the files on the measure and meeting pages
    # Outermost, so even the router's own 404/405 answers carry the headers.
    app.asgi_handler = security_headers(app.asgi_handler)
    return app
