"""The user's own account: change the password (the current one, the new one twice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.gate import PasswordGate
from samordna.accounts.service import MIN_LENGTH, AccountService
from samordna.accounts.web import Page, page_for
from samordna.domain.errors import Busy, Invalid, Throttled
from samordna.web.i18n import gettext as _
from samordna.web.security_log import client_address
from samordna.web.session import rotate_session

TEMPLATE = "pages/account/password.html"
FLASH = "account_flash"


@dataclass
class PasswordForm:
    current_password: str = ""
    new_password: str = ""
    new_password_repeat: str = ""


def _page(
    page: Page,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    flash: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    context: dict[str, Any] = {
        "page": page,
        "lang": page.lang,
        "active": "account",
        "errors": errors or {},
        "error": error,
        "flash": flash,
        "min_length": MIN_LENGTH,
    }
    return Template(template_name=TEMPLATE, context=context, status_code=status, headers=headers)


class AccountController(Controller):
    """One controller for the page and its form: Litestar 2.25 wraps a plain sync GET handler twice when a
    sync POST handler shares its path (the GET then answers 500), which handlers in a controller avoid."""

    path = "/account"
    include_in_schema = False

    @get("/password", sync_to_thread=True, name="account_password")
    def password_page(self, request: Request) -> Template:
        page = page_for(request)
        return _page(page, flash=request.session.pop(FLASH, None))

    @post("/password", status_code=HTTP_303_SEE_OTHER, name="account_password_change")
    async def change_password(
        self,
        request: Request,
        accounts: NamedDependency[AccountService],
        passwords: NamedDependency[PasswordGate],
        data: Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        """Two argon2 runs (the current password checked, the new one hashed): in the password gate's threads,
        like a log-in (samordna.accounts.gate)."""
        page = await anyio.to_thread.run_sync(page_for, request)
        ip = client_address(request)

        def change() -> str:
            return accounts.change_password(
                page.actor.user_id,
                current=data.current_password,
                new=data.new_password,
                repeat=data.new_password_repeat,
                ip=ip,
            )

        try:
            mark = await passwords.run(change)
        except Invalid as exc:
            return _page(page, errors={e.field: e.message for e in exc.errors}, error=exc.message, status=422)
        except (Throttled, Busy) as exc:
            return _page(page, error=exc.message, status=exc.status, headers={"Retry-After": str(exc.retry_after)})
        # A new session id, and the new password's mark: every other session of the user ends (page_for).
        rotate_session(request)
        request.set_session(
            {**request.session, "pw": mark, FLASH: _("Passordet er endret. Du er logget ut alle andre steder.")}
        )
        return Redirect("/account/password", status_code=HTTP_303_SEE_OTHER)


HANDLERS = [AccountController]
