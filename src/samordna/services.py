"""The services of one installation, built once from its settings: what the web app, the CLI, the demo
and the tests call. Wiring only: each feature's service does its own work."""

from __future__ import annotations

from dataclasses import dataclass

from samordna.accounts.gate import PasswordGate, default_slots
from samordna.accounts.service import AccountService
from samordna.attachments.service import AttachmentService
from samordna.attachments.storage import Storage
from samordna.boards.service import BoardService
from samordna.calendar.service import CalendarService
from samordna.domain.clock import Clock
from samordna.live.channels import announces_through_database, notify_in
from samordna.live.service import LiveService
from samordna.measures.callbacks import CALLBACKS as MEASURE_CALLBACKS
from samordna.measures.service import MeasureService
from samordna.meetings.service import MeetingService
from samordna.notifications.service import NotificationService
from samordna.organisation.service import OrganisationService
from samordna.reports.service import ReportService
from samordna.settings import PROJECT_ROOT, Settings
from samordna.store.db import Database
from samordna.transfer.service import TransferService
from samordna.workflow import Workflow, load_workflow, load_workflows


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    workflows: dict[str, Workflow]
    accounts: AccountService
    organisation: OrganisationService
    measures: MeasureService
    boards: BoardService
    meetings: MeetingService
    calendar: CalendarService
    reports: ReportService
    transfer: TransferService
    notifications: NotificationService
    attachments: AttachmentService
    live: LiveService
    # Password work (log-in, password change) from the web: at most a few at once in this process.
    passwords: PasswordGate

    @classmethod
    def build(cls, settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Services:
        """The services over `settings`; a test may share another's database and clock."""
        db = db or Database.from_url(settings.database_url, pool_size=settings.db_pool_size)
        clock = clock or Clock(settings.timezone)
        workflows = load_workflows(settings.workflows_dir, callbacks=MEASURE_CALLBACKS)
        measure = workflows["measure"]
        if "meeting" not in workflows:  # a folder of measure workflows only (a test's, an older installation's)
            workflows["meeting"] = load_workflow(PROJECT_ROOT / "workflows" / "meeting.toml")
        measures = MeasureService(db=db, workflow=measure, clock=clock)
        if announces_through_database(settings.database_url, settings.live_backend):
            # Live boards (DESIGN.md §15): every committed change is a NOTIFY of its own transaction, whichever
            # process wrote it (a request in any worker, a command); in memory the app publishes it itself.
            measures.changes.listen_in_transaction(notify_in)
        accounts = AccountService(db=db, now=clock.now)
        meetings = MeetingService(
            db=db, workflow=workflows["meeting"], measure_workflow=measure, clock=clock, measures=measures
        )
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            workflows=workflows,
            accounts=accounts,
            organisation=OrganisationService(db=db, clock=clock),
            measures=measures,
            boards=BoardService(db=db, workflow=measure, clock=clock, measures=measures),
            meetings=meetings,
            calendar=CalendarService(db=db, clock=clock),
            reports=ReportService(db=db, workflow=measure, clock=clock),
            transfer=TransferService(
                db=db, clock=clock, measure_workflow=measure, meeting_states=workflows["meeting"].states
            ),
            notifications=NotificationService(db=db, clock=clock, workflow=measure, settings=settings),
            attachments=AttachmentService(
                db=db,
                clock=clock,
                storage=Storage(settings.data_dir),
                measures=measures,
                meetings=meetings,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            live=LiveService(db=db, accounts=accounts),
            passwords=PasswordGate(
                slots=settings.login_slots or default_slots(), wait_seconds=settings.login_wait_seconds
            ),
        )

    @property
    def workflow(self) -> Workflow:
        """The measure workflow."""
        return self.workflows["measure"]

    def ping(self) -> None:
        """One round trip to the database (the health check); raises when it does not answer."""
        self.db.ping()
