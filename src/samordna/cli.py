"""The `samordna` command: migrate, demo, administration, tokens, workflow checks, area export and import,
backups and the server."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from samordna.settings import Settings

if TYPE_CHECKING:
    from samordna.transfer.files import Copied


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


def _day(value: str | None):  # type: ignore[no-untyped-def]
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"Feil: --date må være en dato som 2026-12-07, ikke {value!r}.") from None


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    """The day's digests into the outbox (and the in-app notifications), then sending what is due."""
    samordna = _services(settings)
    try:
        report, delivery = samordna.notifications.remind(day=_day(args.date), dry_run=args.dry_run)
    finally:
        samordna.db.dispose()
    what = "Tørrkjøring (ingenting skrevet eller sendt)" if args.dry_run else "Påminnelser"
    print(
        f"{what} for {report.day.isoformat()}: {report.users} brukere, {report.items} punkter, "
        f"{report.notifications} nye varsler, {report.mails} e-poster i utboksen"
        + (f" ({report.already} var skrevet før)" if report.already else "")
        + f"; {report.quiet} uten noe nytt, {report.never} vil ikke ha e-post."
    )
    if args.dry_run:
        for digest in report.digests:
            print(f"  {digest.email}: {digest.subject}")
    elif not delivery.configured:
        print("SAMORDNA_SMTP_URL er ikke satt: e-postene blir liggende i utboksen (se `samordna outbox`).")
    else:
        print(f"Sendt: {delivery.sent}, prøves igjen senere: {delivery.retried}, feilet: {delivery.failed}.")
        if delivery.stopped:
            print(f"E-postserveren svarte ikke: {delivery.stopped}", file=sys.stderr)
    return 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """What the outbox holds (and, with --send, send what is due; with --show ID, one message as written)."""
    from samordna.domain.errors import NotFound

    samordna = _services(settings)
    try:
        if args.show is not None:
            try:
                row, message = samordna.notifications.outbox_message(message_id=args.show)
            except NotFound:
                print(f"Feil: fant ikke melding {args.show} i utboksen.", file=sys.stderr)
                return 1
            print(message)
            return 0
        if args.send:
            delivery = samordna.notifications.deliver()
            if not delivery.configured:
                print("SAMORDNA_SMTP_URL er ikke satt: ingenting sendt.", file=sys.stderr)
                return 1
            print(f"Sendt: {delivery.sent}, prøves igjen senere: {delivery.retried}, feilet: {delivery.failed}.")
        counts, rows = samordna.notifications.outbox(limit=args.limit, status=args.status)
    finally:
        samordna.db.dispose()
    labels = {"pending": "venter", "sent": "sendt", "failed": "feilet"}
    print("Utboksen: " + (", ".join(f"{n} {labels.get(s, s)}" for s, n in sorted(counts.items())) or "tom"))
    for r in rows:
        error = f"  ({r.last_error})" if r.last_error and r.status != "sent" else ""
        print(
            f"  #{r.id:<5} {r.digest_day.isoformat()}  {labels.get(r.status, r.status):<6} "
            f"forsøk {r.attempts}  {r.recipient}  «{r.subject}»{error}"
        )
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.domain.errors import NotFound

    samordna = _services(settings)
    try:
        export = samordna.transfer.export_installation(slug=args.area)
        if args.output in (None, "-"):
            for chunk in export.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return 0
        path = Path(args.output)
        part = path.with_name(path.name + ".part")
        try:  # written beside the file, then renamed into place: a file of that name is always whole
            with part.open("wb") as fh:
                for chunk in export.chunks:
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, path)
        except OSError as exc:
            part.unlink(missing_ok=True)
            print(f"Feil: kan ikke skrive {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    except NotFound as exc:
        print(f"Feil: {exc.message}", file=sys.stderr)
        return 1
    finally:
        samordna.db.dispose()
    size = f"{path.stat().st_size:,}".replace(",", " ")
    print(f"Området {args.area} er eksportert til {path} ({size} byte).")
    return 0


IMPORTED = (
    ("measures", "tiltak"),
    ("events", "hendelser"),
    ("status_reports", "statusrapporter"),
    ("meetings", "møter"),
    ("agenda_items", "saker"),
    ("units", "enheter"),
    ("members", "medlemmer"),
    ("goals", "mål"),
    ("milestones", "milepæler"),
)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.transfer.service import DocumentError

    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Feil: kan ikke lese {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    samordna = _services(settings)
    try:
        imported = samordna.transfer.import_area(raw=raw)
    except DocumentError as exc:
        print(f"Feil: {args.file} ble ikke importert. Ingenting er skrevet.", file=sys.stderr)
        for problem in exc.problems:
            print(f"  – {problem}", file=sys.stderr)
        return 1
    finally:
        samordna.db.dispose()
    counts = ", ".join(f"{imported.counts[key]} {word}" for key, word in IMPORTED)
    print(f"Importerte området {imported.slug} ({imported.name}): {counts}.")
    if imported.linked_users:
        print(
            f"{len(imported.linked_users)} brukere fantes fra før og er knyttet til området "
            "(navn, passord og innlogging er som før):"
        )
        for email in imported.linked_users:
            print(f"  {email}")
    if imported.new_users:
        print(
            f"{len(imported.new_users)} nye brukere er opprettet uten passord og kan ikke logge inn før de får et "
            "(samordna user password --email E-POST):"
        )
        for email in imported.new_users:
            print(f"  {email}")
    print("Organenes kalenderadresser er nye: abonnementer på de gamle adressene må legges inn på nytt.")
    return 0


def cmd_attachments(args: argparse.Namespace, settings: Settings) -> int:
    """`attachments purge`: delete the files of attachments removed long enough ago; `attachments status`."""
    samordna = _services(settings)
    try:
        if args.sub == "purge":
            if args.days < 0:
                print("Feil: --days kan ikke være negativ.", file=sys.stderr)
                return 2
            count, freed = samordna.attachments.purge(older_than_days=args.days)
            print(f"{count} fjernede vedlegg slettet for godt ({freed / 1e6:.1f} MB frigjort).")
            return 0
        temps, orphans = samordna.attachments.sweep()
        kept, size = samordna.attachments.totals()
        print(f"{kept} vedlegg ({size / 1e6:.1f} MB) under {settings.data_dir}.")
        if temps or orphans:
            print(f"Ryddet {temps} avbrutte opplastinger og {orphans} filer uten vedlegg.")
        return 0
    finally:
        samordna.db.dispose()


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.transfer.service import BackupError, backup_database

    try:
        done = backup_database(url=settings.database_url, path=Path(args.file), data_dir=settings.data_dir)
    except (BackupError, OSError) as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return 1
    kind = "SQLite (online backup)" if done.engine == "sqlite" else "PostgreSQL (pg_dump --format=custom)"
    print(f"Sikkerhetskopi skrevet til {done.path}: {kind}, {done.size / 1e6:.1f} MB på {done.seconds:.1f} s.")
    copied = done.copied
    assert copied is not None
    print(f"Vedlegg: {copied.files} filer ({copied.size / 1e6:.1f} MB) {_how(copied)} til {done.copied_to}.")
    return _files_said(copied, copied.missing, copied.missing_removed, settings.data_dir)


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from samordna.transfer.backup import SUMMARY
    from samordna.transfer.files import data_path
    from samordna.transfer.service import BackupError, restore_database

    try:
        done = restore_database(
            url=settings.database_url, path=Path(args.file), force=args.force, data_dir=settings.data_dir
        )
    except (BackupError, OSError) as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{done.counts[table]} {word}" for table, word in SUMMARY)
    print(f"Gjenopprettet fra {args.file} på {done.seconds:.1f} s: {counts}.")
    print(f"Integritetssjekk: {done.integrity}. Databasen er oppdatert (migrering {done.revision}).")
    copied = done.copied
    if copied is None:
        print(f"Ingen vedleggsmappe ({data_path(Path(args.file))}) i sikkerhetskopien: {settings.data_dir} er urørt.")
    else:
        print(f"Vedlegg: {copied.files} filer ({copied.size / 1e6:.1f} MB) {_how(copied)} til {settings.data_dir}.")
    return _files_said(copied, done.missing, done.missing_removed, settings.data_dir)


def _how(copied: Copied) -> str:
    if not copied.linked:
        return "kopiert"
    return "lenket" if copied.linked == copied.files else "lenket og kopiert"


def _files_said(copied: Copied | None, missing: list[str], removed: list[str], data_dir: Path) -> int:
    """What is wrong with the files of a backup or a restore, and the exit code: 1 when the file of an attachment
    in use is missing or damaged (the database is done; its files are not whole)."""
    if removed:
        print(
            f"{len(removed)} fjernede vedlegg mangler filen sin. De kan ikke åpnes uansett, bare slettes for godt "
            "(samordna attachments purge)."
        )
    damaged = copied.damaged if copied is not None else []
    if damaged:
        listed = ", ".join(h[:12] for h in damaged[:5])
        print(
            f"Feil: {len(damaged)} filer er skadet (innholdet stemmer ikke med navnet) og er utelatt: {listed}",
            file=sys.stderr,
        )
    if missing:
        listed = ", ".join(h[:12] for h in missing[:5])
        print(f"Feil: {len(missing)} vedlegg i bruk mangler filen sin i {data_dir}: {listed}", file=sys.stderr)
    return 1 if missing or damaged else 0


OPEN_FILES_WANTED = 65_536  # every open live page holds a socket; the workers inherit the limit


def raise_open_files(wanted: int = OPEN_FILES_WANTED) -> tuple[int, int]:
    """Raise this process's soft limit on open files towards `wanted` (never above the hard limit), as
    servers do: a systemd service starts at 1 024, and each open board, measure or meeting page keeps one
    live stream (a socket) open, so a worker would refuse connections near a thousand open pages.
    (the limit before, the limit now)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return (0, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return (soft, soft)
        return (soft, target)
    return (soft, soft)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    print(f"Samordna kjører på {site_url(args.host, args.port)}", flush=True)
    _before, now = raise_open_files()
    if 0 < now < 4_096:
        print(
            f"Merk: prosessen kan bare ha {now} åpne filer. Hver åpen tavle holder en forbindelse; "
            "øk grensen (LimitNOFILE i systemd, ulimit -n).",
            file=sys.stderr,
            flush=True,
        )
    if args.scheduler:
        # Every worker process builds the app from the environment: each starts a scheduler, and the
        # database lock lets one of them run the day's digest.
        os.environ["SAMORDNA_SCHEDULER"] = "1"
        print("Påminnelser sendes hver morgen kl. 07.00 (--scheduler).", flush=True)
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
        # Live boards keep their streams open, and uvicorn waits for every open connection when told to stop:
        # this long, then it closes them (the browsers reconnect to another worker, or after the restart).
        timeout_graceful_shutdown=args.graceful_timeout,
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

    p = sub.add_parser(
        "export", help="eksporter et område som ett JSON-dokument (uten passord, hemmeligheter og vedleggsfiler)"
    )
    p.add_argument("--area", required=True, metavar="SLUG")
    p.add_argument("-o", "--output", metavar="FIL", help="filen det skrives til (ellers standard ut)")
    p.set_defaults(fn=cmd_export)
    p = sub.add_parser("import", help="importer et område fra en eksportfil (området må ikke finnes fra før)")
    p.add_argument("file", metavar="FIL", help="eksportfilen (- for standard inn)")
    p.set_defaults(fn=cmd_import)
    p = sub.add_parser("backup", help="sikkerhetskopi av hele databasen og vedleggsfilene (mens serveren kjører)")
    p.add_argument("file", metavar="FIL")
    p.set_defaults(fn=cmd_backup)
    p = sub.add_parser("restore", help="gjenopprett hele databasen og vedleggsfilene fra en sikkerhetskopi")
    p.add_argument("file", metavar="FIL")
    p.add_argument("--force", action="store_true", help="overskriv en database eller datamappe som ikke er tom")
    p.set_defaults(fn=cmd_restore)

    p = sub.add_parser("serve", help="start webserveren")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--scheduler", action="store_true", help="send påminnelsene hver morgen kl. 07.00 fra serveren selv")
    p.add_argument(
        "--graceful-timeout",
        type=int,
        default=5,
        metavar="SEKUNDER",
        help="ved stopp: så lenge åpne forbindelser (live-tavlenes strømmer) får før de lukkes (standard 5)",
    )
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("remind", help="skriv dagens påminnelser (varsler og e-post) og send det som venter")
    p.add_argument("--date", help="dagen påminnelsene gjelder (ÅÅÅÅ-MM-DD; ellers i dag)")
    p.add_argument("--dry-run", action="store_true", help="vis hva som ville blitt skrevet, uten å skrive eller sende")
    p.set_defaults(fn=cmd_remind)

    p = sub.add_parser("outbox", help="vis utboksen for e-post (og send det som venter med --send)")
    p.add_argument("--limit", type=int, default=20, help="hvor mange meldinger som vises (de nyeste)")
    p.add_argument("--status", choices=["pending", "sent", "failed"], help="bare meldinger med denne statusen")
    p.add_argument("--send", action="store_true", help="send meldingene som venter nå")
    p.add_argument("--show", type=int, metavar="ID", help="skriv ut én melding slik den blir sendt")
    p.set_defaults(fn=cmd_outbox)

    files = sub.add_parser("attachments", help="vedlegg (filer på tiltak og møter)").add_subparsers(
        dest="sub", required=True
    )
    p = files.add_parser("purge", help="slett filene til vedlegg som ble fjernet for mer enn --days dager siden")
    p.add_argument("--days", type=int, default=30, help="hvor mange dager et fjernet vedlegg beholdes (30)")
    p.set_defaults(fn=cmd_attachments)
    files.add_parser(
        "status", help="hvor mange vedlegg og hvor mye plass; rydder etter avbrutte opplastinger"
    ).set_defaults(fn=cmd_attachments)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(os.environ)
    return args.fn(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
