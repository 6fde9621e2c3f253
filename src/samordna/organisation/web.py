"""The organisation pages of an area (units, members, goals, the audit log): HTTP in, HTML out; no SQL.

The OrganisationService (by dependency injection) decides who may and does the work. Plain forms: an accepted
POST answers 303 back to its page with a short message (Post/Redirect/Get); a refused one renders the page
again with the messages beside the fields and what was typed (422), or the error page naming who may (403) —
another area is a 404. One exception to the redirect: a new user's one-time password is shown once, in the
answer to the POST that created it, and is stored nowhere but as its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from samordna.accounts.web import Page, page_for
from samordna.domain import policy
from samordna.domain.errors import Invalid
from samordna.organisation import fields, views
from samordna.organisation.labels import UI
from samordna.organisation.pages import (
    NO_STORE,
    Choice,
    context,
    done,
    form_route,
    in_thread,
    render,
    tab_page,
    tabs_for,
)
from samordna.organisation.service import OrganisationService
from samordna.web.forms import Form, build_form, parse_form
from samordna.web.i18n import gettext as _

BASE = "/areas/{slug:str}/admin"
UNIT = f"{BASE}/units/{{unit_id:int}}"
MEMBER = f"{BASE}/members/{{membership_id:int}}"
GOAL = f"{BASE}/goals/{{goal_id:int}}"
# ---------------------------------------------------------------- landing


@get(BASE, sync_to_thread=True, name="admin_home")
def admin_home(request: Request, slug: FromPath[str]) -> Redirect:
    """«Administrasjon» in the header: the first page this user may open."""
    page = page_for(request, slug)
    policy.require_role(page.member, policy.ADMINISTER, _("bruke administrasjonssidene"))
    return Redirect(tabs_for(page)[0].url, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


# ---------------------------------------------------------------- units


def _units_page(
    page: Page,
    organisation: OrganisationService,
    *,
    add: Form | None = None,
    refused_id: int | None = None,
    refused: Form | None = None,
    status: int = 200,
    error: str | None = None,
) -> Template:
    units = organisation.list_units(actor=page.actor, slug=page.area.slug)
    rename = {
        u.id: refused if u.id == refused_id and refused else build_form(fields.RENAME_FIELDS, values={"name": u.name})
        for u in units
    }
    return tab_page(
        page,
        "units",
        _("Enheter"),
        status=status,
        error=error,
        units=units,
        rename=rename,
        open_id=refused_id,
        anchor=f"unit-{refused_id}" if refused_id else "add-unit",
        add=add or build_form(fields.UNIT_FIELDS, values={"kind": "municipal"}),
    )


@get(f"{BASE}/units", name="admin_units")
async def units_page(
    request: Request, organisation: NamedDependency[OrganisationService], slug: FromPath[str]
) -> Template:
    return await in_thread(lambda: _units_page(page_for(request, slug), organisation))


def _add_unit(request: Request, organisation: OrganisationService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.UNIT_FIELDS, form)
    try:
        unit = organisation.add_unit(actor=page.actor, slug=slug, data=data)
    except Invalid as exc:
        add = build_form(fields.UNIT_FIELDS, values=data, errors=exc.errors)
        return _units_page(
            page, organisation, add=add, status=422, error=_("Enheten ble ikke lagt til. Se meldingen ved skjemaet.")
        )
    return done(page, "units", _("Enheten «%(name)s» er lagt til.") % {"name": unit.name})


def _rename_unit(
    request: Request, organisation: OrganisationService, slug: str, unit_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.RENAME_FIELDS, form)
    try:
        unit = organisation.rename_unit(actor=page.actor, slug=slug, unit_id=unit_id, data=data)
    except Invalid as exc:
        refused = build_form(fields.RENAME_FIELDS, values=data, errors=exc.errors)
        return _units_page(
            page,
            organisation,
            refused_id=unit_id,
            refused=refused,
            status=422,
            error=_("Navnet ble ikke endret. Se meldingen ved enheten."),
        )
    return done(page, "units", _("Enheten heter nå «%(name)s».") % {"name": unit.name})


def _unit_active(
    request: Request, organisation: OrganisationService, slug: str, unit_id: int, active: bool, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    unit = organisation.set_unit_active(actor=page.actor, slug=slug, unit_id=unit_id, active=active)
    message = (
        _("Enheten «%(name)s» er aktiv igjen.")
        if active
        else _("Enheten «%(name)s» er deaktivert. Den tilbys ikke lenger i skjemaer; tiltak og medlemmer beholder den.")
    )
    return done(page, "units", message % {"name": unit.name})


add_unit = form_route(f"{BASE}/units", "admin_unit_add", _add_unit)
rename_unit = form_route(f"{UNIT}/rename", "admin_unit_rename", _rename_unit)
deactivate_unit = form_route(f"{UNIT}/deactivate", "admin_unit_deactivate", _unit_active, active=False)
reactivate_unit = form_route(f"{UNIT}/reactivate", "admin_unit_reactivate", _unit_active, active=True)


# ---------------------------------------------------------------- members


def _unit_choices(units: list[views.UnitRow], current: views.MemberRow | None = None) -> list[Choice]:
    """Active units; a member's own unit stays selectable after it was deactivated."""
    out = [Choice(u.id, u.name) for u in units if u.active]
    if current is not None and current.unit_id is not None and not current.unit_active:
        out.append(Choice(current.unit_id, _("%(name)s (deaktivert)") % {"name": current.unit_name}))
    return out


def _members_page(
    page: Page,
    organisation: OrganisationService,
    *,
    add: Form | None = None,
    refused_id: int | None = None,
    refused: Form | None = None,
    status: int = 200,
    error: str | None = None,
    added: views.MemberAdded | None = None,
    view: views.MembersPage | None = None,
) -> Template:
    view = view or organisation.members_page(actor=page.actor, slug=page.area.slug)
    change = {
        m.id: refused
        if m.id == refused_id and refused
        else build_form(
            fields.MEMBER_CHANGE_FIELDS,
            choices={"units": _unit_choices(view.units, m)},
            values={"role": m.role, "unit_id": m.unit_id},
        )
        for m in view.members
    }
    return tab_page(
        page,
        "members",
        _("Medlemmer"),
        status=status,
        error=error,
        members=view.members,
        change=change,
        open_id=refused_id,
        anchor=f"member-{refused_id}" if refused_id else "add-member",
        add=add or build_form(fields.MEMBER_FIELDS, choices={"units": _unit_choices(view.units)}),
        added=added,
    )


@get(f"{BASE}/members", name="admin_members")
async def members_page(
    request: Request, organisation: NamedDependency[OrganisationService], slug: FromPath[str]
) -> Template:
    return await in_thread(lambda: _members_page(page_for(request, slug), organisation))


def _add_member(request: Request, organisation: OrganisationService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.MEMBER_FIELDS, form)
    try:
        added = organisation.add_member(actor=page.actor, slug=slug, data=data)
    except Invalid as exc:
        view = organisation.members_page(actor=page.actor, slug=slug)
        choices = {"units": _unit_choices(view.units)}
        add = build_form(fields.MEMBER_FIELDS, choices=choices, values=data, errors=exc.errors)
        return _members_page(
            page,
            organisation,
            view=view,
            add=add,
            status=422,
            error=_("Medlemmet ble ikke lagt til. Se meldingen ved skjemaet."),
        )
    m = added.member
    if added.password:  # shown now or never: no redirect, nothing kept in the session
        return _members_page(page, organisation, added=added, status=201)
    return done(
        page,
        "members",
        _("%(name)s (%(email)s) er lagt til som %(role)s.")
        % {"name": m.name, "email": m.email, "role": UI(page.lang).role(m.role).lower()},
    )


def _change_member(
    request: Request, organisation: OrganisationService, slug: str, membership_id: int, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.MEMBER_CHANGE_FIELDS, form)
    try:
        m = organisation.change_member(actor=page.actor, slug=slug, membership_id=membership_id, data=data)
    except Invalid as exc:
        view = organisation.members_page(actor=page.actor, slug=slug)
        current = next((x for x in view.members if x.id == membership_id), None)
        refused = build_form(
            fields.MEMBER_CHANGE_FIELDS,
            choices={"units": _unit_choices(view.units, current)},
            values=data,
            errors=exc.errors,
        )
        return _members_page(
            page,
            organisation,
            view=view,
            refused_id=membership_id,
            refused=refused,
            status=422,
            error=_("Endringen ble ikke lagret. Se meldingen ved medlemmet."),
        )
    if m.user_id == page.actor.user_id and m.role not in policy.MANAGE_ORGANISATION:
        return Redirect(page.board_url(), status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)  # no longer theirs
    unit = m.unit_name or _("ingen enhet")
    return done(
        page,
        "members",
        _("%(name)s: %(role)s, %(unit)s.") % {"name": m.name, "role": UI(page.lang).role(m.role), "unit": unit},
    )


def _member_active(
    request: Request,
    organisation: OrganisationService,
    slug: str,
    membership_id: int,
    active: bool,
    form: Mapping[str, Any],
) -> Response:
    page = page_for(request, slug)
    try:
        changed = organisation.set_member_active(
            actor=page.actor, slug=slug, membership_id=membership_id, active=active
        )
    except Invalid as exc:
        return _members_page(page, organisation, status=422, error=exc.message, refused_id=membership_id)
    m = changed.member
    if not active and m.user_id == page.actor.user_id:
        return Redirect("/", status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)  # they left the area themselves
    if changed.user_deactivated:
        message = _(
            "%(name)s er ikke lenger medlem. Det var brukerens siste medlemskap, så brukeren er "
            "deaktivert: innlogginger og API-nøkler er stengt. Historikken beholdes."
        ) % {"name": m.name}
    elif not active:
        message = _("%(name)s er ikke lenger medlem av %(area)s.") % {"name": m.name, "area": page.area.name}
    elif changed.user_reactivated:
        message = _("%(name)s er medlem igjen, og brukeren er aktivert. Gamle API-nøkler forblir stengt.") % {
            "name": m.name
        }
    else:
        message = _("%(name)s er medlem igjen.") % {"name": m.name}
    return done(page, "members", message)


add_member = form_route(f"{BASE}/members", "admin_member_add", _add_member)
change_member = form_route(f"{MEMBER}/change", "admin_member_change", _change_member)
deactivate_member = form_route(f"{MEMBER}/deactivate", "admin_member_deactivate", _member_active, active=False)
reactivate_member = form_route(f"{MEMBER}/reactivate", "admin_member_reactivate", _member_active, active=True)


# ---------------------------------------------------------------- goals


def _goal_defaults(organisation: OrganisationService) -> dict[str, Any]:
    year = organisation.today().year
    return {"period_from": year, "period_to": year + 3, "priority": 1}


def _goals_page(
    page: Page,
    organisation: OrganisationService,
    *,
    add: Form | None = None,
    status: int = 200,
    error: str | None = None,
) -> Template:
    goals = organisation.list_goals(actor=page.actor, slug=page.area.slug)
    return tab_page(
        page,
        "goals",
        _("Mål og prioriteringer"),
        status=status,
        error=error,
        goals=goals,
        anchor="add-goal",
        add=add or build_form(fields.GOAL_FIELDS, values=_goal_defaults(organisation)),
    )


@get(f"{BASE}/goals", name="admin_goals")
async def goals_page(
    request: Request, organisation: NamedDependency[OrganisationService], slug: FromPath[str]
) -> Template:
    return await in_thread(lambda: _goals_page(page_for(request, slug), organisation))


def _create_goal(request: Request, organisation: OrganisationService, slug: str, form: Mapping[str, Any]) -> Response:
    page = page_for(request, slug)
    data = parse_form(fields.GOAL_FIELDS, form)
    try:
        goal = organisation.create_goal(actor=page.actor, slug=slug, data=data)
    except Invalid as exc:
        add = build_form(fields.GOAL_FIELDS, values=data, errors=exc.errors)
        return _goals_page(
            page, organisation, add=add, status=422, error=_("Målet ble ikke opprettet. Se meldingen ved skjemaet.")
        )
    return done(page, "goals", _("Målet «%(title)s» er opprettet.") % {"title": goal.title})


def _goal_active(
    request: Request, organisation: OrganisationService, slug: str, goal_id: int, active: bool, form: Mapping[str, Any]
) -> Response:
    page = page_for(request, slug)
    goal = organisation.set_goal_active(actor=page.actor, slug=slug, goal_id=goal_id, active=active)
    message = (
        _("Målet «%(title)s» er hentet fram igjen.")
        if active
        else _("Målet «%(title)s» er arkivert. Nye tiltak kan ikke knyttes til det; tiltak som har det, beholder det.")
    )
    return done(page, "goals", message % {"title": goal.title})


create_goal = form_route(f"{BASE}/goals", "admin_goal_create", _create_goal)
archive_goal = form_route(f"{GOAL}/archive", "admin_goal_archive", _goal_active, active=False)
unarchive_goal = form_route(f"{GOAL}/unarchive", "admin_goal_unarchive", _goal_active, active=True)


# ---------------------------------------------------------------- the log


@get(f"{BASE}/log", sync_to_thread=True, name="admin_log")
def log_page(
    request: Request,
    organisation: NamedDependency[OrganisationService],
    slug: FromPath[str],
    before: FromQuery[str | None] = None,
) -> Template:
    page = page_for(request, slug)
    # ASCII digits only (isdigit() alone accepts «²»), and few enough for a database INTEGER
    before_id = int(before) if before and before.isascii() and before.isdigit() and len(before) < 10 else None
    log = organisation.audit_log(actor=page.actor, slug=slug, before=before_id)
    return render("log.html", context(page, "log", _("Logg over endringer"), log=log, first=before_id is None))


HANDLERS = [
    admin_home,
    units_page,
    add_unit,
    rename_unit,
    deactivate_unit,
    reactivate_unit,
    members_page,
    add_member,
    change_member,
    deactivate_member,
    reactivate_member,
    goals_page,
    create_goal,
    archive_goal,
    unarchive_goal,
    log_page,
]
