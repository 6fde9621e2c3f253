"""The services of one installation, built once from its settings: what the web app, the CLI, the demo
and the tests call. Wiring only: each feature's service does its own work."""

from __future__ import annotations

from dataclasses import dataclass

from samordna.accounts.service import AccountService
from samordna.boards.service import BoardService
from samordna.calendar.service import CalendarService
from samordna.domain.clock import Clock
from samordna.measures.callbacks import CALLBACKS as MEASURE_CALLBACKS
from samordna.measures.service import MeasureService
from samordna.meetings.service import MeetingService
from samordna.organisation.service import OrganisationService
from samordna.settings import PROJECT_ROOT, Settings
from samordna.store.db import Database
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
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            workflows=workflows,
            accounts=AccountService(db=db, now=clock.now),
            organisation=OrganisationService(db=db, clock=clock),
            measures=measures,
            boards=BoardService(db=db, workflow=measure, clock=clock, measures=measures),
            meetings=MeetingService(
                db=db, workflow=workflows["meeting"], measure_workflow=measure, clock=clock, measures=measures
            ),
            calendar=CalendarService(db=db, clock=clock),
        )

    @property
    def workflow(self) -> Workflow:
        """The measure workflow."""
        return self.workflows["measure"]

    def ping(self) -> None:
        """One round trip to the database (the health check); raises when it does not answer."""
        self.db.ping()
