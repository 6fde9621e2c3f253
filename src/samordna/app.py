"""The composition root: `create_app(settings)` wires settings, services and the web layer."""

from __future__ import annotations

import gc
from pathlib import Path

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from samordna.domain.errors import DomainError
from samordna.services.core import Samordna
from samordna.settings import Settings
from samordna.web import api, pages
from samordna.web.errors import domain_error_to_json, http_error_to_json, internal_error_to_json


def create_app(settings: Settings | None = None, *, samordna: Samordna | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    samordna = samordna or Samordna.from_settings(settings)

    def on_startup(app: Litestar) -> None:
        app.state.samordna = samordna
        gc.collect()
        gc.freeze()

    def on_shutdown(app: Litestar) -> None:
        samordna.db.dispose()

    return Litestar(
        route_handlers=[api.ApiController, pages.healthz, pages.workflow_page],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        exception_handlers={
            DomainError: domain_error_to_json,
            HTTPException: http_error_to_json,
            Exception: internal_error_to_json,
        },
        template_config=TemplateConfig(
            directory=Path(settings.templates_dir), engine=JinjaTemplateEngine
        ),
        openapi_config=OpenAPIConfig(
            title="Samordna API",
            version="1",
            description="Tiltak i SLT-modellen: registrer behov, flytt tiltak gjennom arbeidsflyten.",
            path="/schema",
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
            ),
        ),
        logging_config=LoggingConfig(log_exceptions="always"),
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
    )
