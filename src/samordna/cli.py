"""The `samordna` command: migrate, demo, administration, tokens, workflow checks and the server."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from samordna.settings import Settings


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from samordna.services import Services

    return Services.build(settings)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.store.migrate import upgrade

    upgrade(settings.database_url)
    print("Databasen er oppdatert.")
    return 0


def site_url(host: str, port: int) -> str:
    """The address a person opens for a server on host:port (one listening everywhere: this machine)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.demo import load_demo

    load_demo(_services(settings), out=sys.stdout, url=site_url(args.host, args.port))
    return 0


def _admin(settings: Settings, fn) -> int:  # type: ignore[no-untyped-def]
    from samordna.organisation.repository import AdminError

    samordna = _services(settings)
    try:
        with samordna.db.write() as session:
            fn(session)
    except AdminError as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_area_add(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.organisation import repository as org

    def run(session):  # type: ignore[no-untyped-def]
        area = org.add_area(session, slug=args.slug, name=args.name, kind=args.kind, language=args.language)
        print(f"Opprettet området {area.slug} ({area.name}).")

    return _admin(settings, run)


def cmd_unit_add(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.organisation import repository as org

    def run(session):  # type: ignore[no-untyped-def]
        unit = org.add_unit(session, area=org.get_area(session, args.area), name=args.name, kind=args.kind)
        print(f"Opprettet enheten {unit.name} i {args.area}.")

    return _admin(settings, run)


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.organisation import repository as org

    password = args.password
    if password is None:
        password = getpass.getpass("Passord: ")
        if password != getpass.getpass("Gjenta passordet: "):
            print("Feil: passordene er ikke like.", file=sys.stderr)
            return 1

    def run(session):  # type: ignore[no-untyped-def]
        user = org.add_user(session, email=args.email, name=args.name, password=password)
        print(f"Opprettet brukeren {user.email}.")

    return _admin(settings, run)


def cmd_user_password(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.domain.errors import DomainError, Invalid

    password = args.password
    if password is None:
        password = getpass.getpass("Nytt passord: ")
        if password != getpass.getpass("Gjenta passordet: "):
            print("Feil: passordene er ikke like.", file=sys.stderr)
            return 1
    try:
        _services(settings).accounts.reset_password(args.email, password)
    except Invalid as exc:
        for error in exc.errors:
            print(f"Feil: {error.message}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"Feil: {exc.message}", file=sys.stderr)
        return 1
    print(f"Passordet til {args.email.strip().lower()} er endret. Brukeren er logget ut overalt.")
    return 0


def cmd_member_add(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.accounts.repository import find_user
    from samordna.organisation import repository as org

    def run(session):  # type: ignore[no-untyped-def]
        user = find_user(session, args.email)
        if user is None:
            raise org.AdminError(f"Fant ikke brukeren {args.email}.")
        org.add_member(session, area=org.get_area(session, args.area), user=user, role=args.role, unit_name=args.unit)
        print(f"{user.email} er nå {args.role} i {args.area}.")

    return _admin(settings, run)


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.accounts.repository import create_token, find_user
    from samordna.organisation import repository as org

    def run(session):  # type: ignore[no-untyped-def]
        user = find_user(session, args.email)
        if user is None or not user.active:
            raise org.AdminError(f"Fant ikke en aktiv bruker {args.email}.")
        print(create_token(session, user_id=user.id, name=args.name or ""))

    return _admin(settings, run)


def cmd_workflow_check(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.measures.callbacks import CALLBACKS
    from samordna.workflow.check import main_check

    return main_check(args.file, callbacks=CALLBACKS)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    print(f"Samordna kjører på {site_url(args.host, args.port)}", flush=True)
    uvicorn.run(
        "samordna.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        # The client address comes from the socket; X-Forwarded-For counts only from
        # SAMORDNA_TRUSTED_PROXIES (samordna.web.security_log), never from uvicorn's own default.
        proxy_headers=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samordna", description="Samordna – SLT-tiltak i kommunen.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    sub.add_parser("migrate", help="oppdater databaseskjemaet (Alembic)").set_defaults(fn=cmd_migrate)
    p = sub.add_parser("demo", help="last inn demo-området eksempelvik (kan kjøres flere ganger)")
    p.add_argument("--host", default="127.0.0.1", help="vertsnavnet serveren lytter på (for adressen som skrives ut)")
    p.add_argument("--port", type=int, default=8000, help="porten serveren lytter på (for adressen som skrives ut)")
    p.set_defaults(fn=cmd_demo)

    area = sub.add_parser("area", help="SLT-områder").add_subparsers(dest="sub", required=True)
    p = area.add_parser("add", help="opprett et område")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", default="municipality")
    p.add_argument("--language", default="nb", choices=["nb", "nn"])
    p.set_defaults(fn=cmd_area_add)

    unit = sub.add_parser("unit", help="enheter").add_subparsers(dest="sub", required=True)
    p = unit.add_parser("add", help="opprett en enhet")
    p.add_argument("--area", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--kind", default="municipal")
    p.set_defaults(fn=cmd_unit_add)

    user = sub.add_parser("user", help="brukere").add_subparsers(dest="sub", required=True)
    p = user.add_parser("add", help="opprett en bruker")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password", help="passord (ellers spør kommandoen)")
    p.set_defaults(fn=cmd_user_add)
    p = user.add_parser("password", help="sett nytt passord for en bruker (avslutter brukerens innlogginger)")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="passord (ellers spør kommandoen)")
    p.set_defaults(fn=cmd_user_password)

    member = sub.add_parser("member", help="medlemskap").add_subparsers(dest="sub", required=True)
    p = member.add_parser("add", help="gi en bruker en rolle i et område")
    p.add_argument("--area", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--unit")
    p.set_defaults(fn=cmd_member_add)

    token = sub.add_parser("token", help="API-nøkler").add_subparsers(dest="sub", required=True)
    p = token.add_parser("create", help="lag en API-nøkkel (skrives ut én gang)")
    p.add_argument("--email", required=True)
    p.add_argument("--name")
    p.set_defaults(fn=cmd_token_create)

    wf = sub.add_parser("workflow", help="arbeidsflytfiler").add_subparsers(dest="sub", required=True)
    p = wf.add_parser("check", help="valider en arbeidsflytfil")
    p.add_argument("file")
    p.set_defaults(fn=cmd_workflow_check)

    p = sub.add_parser("serve", help="start webserveren")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(fn=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(os.environ)
    return args.fn(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
