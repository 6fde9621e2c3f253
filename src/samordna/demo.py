"""The fictional demo area «Eksempelvik kommune»: units, goals, one user per role and ~40 measures.

Every measure is written through the same services as a user would, with a clock set back in time,
so its history (events, status reports, follow-up dates) is real. Loading it twice changes nothing.

Size: most of it is the demo area's data (measures, their histories, a year of meetings), not logic.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from samordna.accounts.repository import load_actor
from samordna.domain.actor import Actor
from samordna.meetings.rhythm import nth_weekday
from samordna.meetings.views import MeetingView
from samordna.organisation import repository as org
from samordna.services import Services
from samordna.store.models import Area, Goal, Meeting, Membership, Milestone, Unit, User

SLUG = "eksempelvik"
PASSWORD = "demo"

UNITS = [
    ("Politiet", "police"),
    ("Barnevernet", "municipal"),
    ("Ungdomsskolene", "municipal"),
    ("Kultur og fritid", "municipal"),
    ("Helsestasjon for ungdom", "municipal"),
    ("NAV", "state"),
    ("PPT", "municipal"),
    ("Utekontakten", "municipal"),
    ("Teknisk etat", "municipal"),
    ("Konfliktrådet", "state"),
    ("Frivilligsentralen", "voluntary"),
]

USERS = [
    ("koordinator@eksempelvik.no", "Kari Nordmann", "coordinator", None),
    ("styring@eksempelvik.no", "Ola Ordfører", "steering", None),
    ("koordinering@eksempelvik.no", "Siri Enhetsleder", "coordination", "Kultur og fritid"),
    ("utforende@eksempelvik.no", "Jonas Lærer", "executing", "Ungdomsskolene"),
    ("leser@eksempelvik.no", "Liv Kommunestyre", "viewer", None),
]

GOALS = [
    (
        "Redusere rusbruk blant ungdom",
        "Færre ungdommer skal oppgi at de har brukt alkohol, snus eller cannabis (Ungdata).",
        1,
    ),
    (
        "Økt trygghet i sentrum og nærmiljø",
        "Ungdom og voksne skal oppleve sentrum, skoleveier og møteplasser som trygge, også på kveldstid.",
        2,
    ),
    (
        "Flere ungdommer i meningsfulle fritidsaktiviteter",
        "Alle ungdommer skal ha et fritidstilbud de har råd til og ønsker å delta i.",
        3,
    ),
]

# title, need description, knowledge source, target group, arena, ages, goal no., unit, final state
MEASURES = [
    (
        "Natteravner i sentrum fredag og lørdag",
        "Uro og fyll blant ungdom i sentrum sene helgekvelder.",
        "Politiets statistikk",
        "Ungdom 14–18 år i sentrum",
        "nightlife",
        (14, 18),
        2,
        "Frivilligsentralen",
        "in_follow_up",
    ),
    (
        "Foreldremøter om rus på 9. trinn",
        "Ungdata viser økt alkoholbruk på 9. trinn.",
        "Ungdata 2025",
        "Foreldre til elever på 9. trinn",
        "school",
        (14, 15),
        1,
        "Ungdomsskolene",
        "in_follow_up",
    ),
    (
        "Utvidet åpningstid på ungdomsklubben i helgene",
        "Få trygge møteplasser for ungdom fredag kveld.",
        "Innspill fra ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        (13, 17),
        3,
        "Kultur og fritid",
        "evaluated",
    ),
    (
        "Tiltak mot nettmobbing på 7. og 8. trinn",
        "Flere meldinger om krenkelser i sosiale medier.",
        "Elevundersøkelsen",
        "Elever på 7. og 8. trinn",
        "digital",
        (12, 14),
        2,
        "Ungdomsskolene",
        "assigned",
    ),
    (
        "Bedre belysning ved skateparken",
        "Ungdom opplever området som utrygt etter mørkets frembrudd.",
        "Trygghetsvandring",
        "Brukere av skateparken",
        "neighbourhood",
        None,
        2,
        "Teknisk etat",
        "closed",
    ),
    (
        "Oppsøkende arbeid ved kjøpesenteret på kveldstid",
        "Grupper av ungdom samles uten voksne til stede.",
        "Observasjoner fra utekontakten",
        "Ungdom 13–18 år",
        "neighbourhood",
        (13, 18),
        2,
        "Utekontakten",
        "in_follow_up",
    ),
    (
        "Kurs i konflikthåndtering for elevråd",
        "Konflikter mellom elevgrupper i friminuttene.",
        "Rektormøtet",
        "Elevrådsrepresentanter",
        "school",
        (13, 16),
        2,
        "Konfliktrådet",
        "under_evaluation",
    ),
    (
        "Sommerjobb for ungdom 15–17 år",
        "Ungdom uten noe å gjøre i sommerferien.",
        "NAV og ungdomsrådet",
        "Ungdom 15–17 år",
        "other",
        (15, 17),
        3,
        "NAV",
        "evaluated",
    ),
    (
        "Samtalegrupper for ungdom med rusbruk i familien",
        "Helsesykepleiere ser behov for et gruppetilbud.",
        "Helsestasjon for ungdom",
        "Ungdom 13–18 år",
        "family",
        (13, 18),
        1,
        "Helsestasjon for ungdom",
        "in_follow_up",
    ),
    (
        "Skolebesøk om deling av bilder på nett",
        "Saker om deling av krenkende bilder blant ungdom.",
        "Politiets statistikk",
        "Elever på 8. trinn",
        "digital",
        (13, 14),
        2,
        "Politiet",
        "closed",
    ),
    (
        "Gratis fritidsaktiviteter for ungdom i lavinntektsfamilier",
        "Pris stenger ungdom ute fra aktiviteter.",
        "Levekårsdata",
        "Ungdom 12–18 år",
        "leisure",
        (12, 18),
        3,
        "Kultur og fritid",
        "in_follow_up",
    ),
    (
        "Trygg russefeiring – samarbeid med russestyret",
        "Russefeiringen ga mange politioppdrag i fjor.",
        "Politiets statistikk",
        "Russen",
        "nightlife",
        (18, 19),
        1,
        "Politiet",
        "paused",
    ),
    (
        "Foreldrenettverk i Sørbyen",
        "Foreldre ønsker å samarbeide om felles kjøreregler.",
        "Foreldremøter",
        "Foreldre til ungdom i Sørbyen",
        "family",
        None,
        1,
        "Frivilligsentralen",
        "initiated",
    ),
    (
        "Gruppetilbud for elever med høyt fravær",
        "Økende skolefravær på ungdomstrinnet.",
        "Skolenes fraværsstatistikk",
        "Elever på ungdomstrinnet",
        "school",
        (13, 16),
        3,
        "PPT",
        "assigned",
    ),
    (
        "Kartlegging av opplevd trygghet i sentrum",
        "Usikkert hvor og når ungdom føler seg utrygge.",
        "Ungdata 2025",
        "Ungdom 13–19 år",
        "neighbourhood",
        (13, 19),
        2,
        "Utekontakten",
        "closed",
    ),
    (
        "Informasjon om snus og e-sigaretter i ungdomsskolen",
        "Økt bruk av snus og e-sigaretter blant jenter.",
        "Ungdata 2025",
        "Elever på 8.–10. trinn",
        "school",
        (13, 16),
        1,
        "Helsestasjon for ungdom",
        "under_evaluation",
    ),
    (
        "Ungdomsrådet med i planlegging av fritidstilbud",
        "Tilbudene treffer ikke det ungdom ønsker.",
        "Ungdomsrådet",
        "Ungdom 13–18 år",
        "leisure",
        (13, 18),
        3,
        None,
        "need_identified",
    ),
    (
        "Rusfri 17. mai-feiring for ungdom",
        "Mye alkohol blant ungdom på nasjonaldagen.",
        "Politiets erfaringer",
        "Ungdom 15–18 år",
        "nightlife",
        (15, 18),
        1,
        "Kultur og fritid",
        "declined",
    ),
    (
        "Tverrfaglig samarbeidsteam for ungdomsskolene",
        "Uklart hvem skolene skal kontakte ved bekymring.",
        "Koordineringsgruppen",
        "Ansatte i ungdomsskolene",
        "school",
        None,
        1,
        "Barnevernet",
        "evaluated",
    ),
    (
        "Nattåpen hall i sommerferien",
        "Ungdom samles ute sent uten tilbud.",
        "Observasjoner fra utekontakten",
        "Ungdom 14–18 år",
        "leisure",
        (14, 18),
        3,
        "Kultur og fritid",
        "initiated",
    ),
    (
        "Trenere i idrettslag lærer å se utenforskap",
        "Ungdom faller ut av idretten rundt 14 år.",
        "Idrettsrådet",
        "Trenere og ledere",
        "leisure",
        None,
        3,
        "Frivilligsentralen",
        "assigned",
    ),
    (
        "Foreldrekurs om gaming og skjermtid",
        "Foreldre ber om råd om skjermbruk og pengespill.",
        "Helsestasjon for ungdom",
        "Foreldre til 10–15-åringer",
        "digital",
        None,
        1,
        "Helsestasjon for ungdom",
        "need_identified",
    ),
    (
        "Stormøte for ungdom etter uro ved busstasjonen",
        "Gjentatte konflikter mellom ungdomsgrupper.",
        "Politiets statistikk",
        "Ungdom 14–18 år",
        "neighbourhood",
        (14, 18),
        2,
        "Konfliktrådet",
        "in_follow_up",
    ),
    (
        "Tiltak mot tagging og hærverk ved skolene",
        "Økte kostnader til hærverk ved to skoler.",
        "Teknisk etat",
        "Ungdom i nærmiljøet",
        "neighbourhood",
        None,
        2,
        "Teknisk etat",
        "declined",
    ),
    (
        "Mentorordning for ungdom utenfor skole og arbeid",
        "Flere unge mellom 16 og 20 uten aktivitet.",
        "NAV",
        "Ungdom 16–20 år",
        "other",
        (16, 20),
        3,
        "NAV",
        "paused",
    ),
    (
        "Drop-in på helsestasjonen etter skoletid",
        "Ungdom rekker ikke helsestasjonen i skoletiden.",
        "Brukerundersøkelse",
        "Ungdom 13–20 år",
        "other",
        (13, 20),
        1,
        "Helsestasjon for ungdom",
        "in_follow_up",
    ),
    (
        "Felles rutine for samtykke og informasjonsdeling",
        "Etatene er usikre på hva de kan dele.",
        "Koordineringsgruppen",
        "Ansatte i etatene",
        "other",
        None,
        1,
        None,
        "need_identified",
    ),
    (
        "Åpen gymsal på fredager",
        "Ønske om uorganisert aktivitet i helgene.",
        "Ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        (13, 17),
        3,
        "Kultur og fritid",
        "in_follow_up",
    ),
    (
        "Aktivitetstilbud for jenter 13–16 år",
        "Jenter deltar mindre i fritidstilbudene.",
        "Ungdata 2025",
        "Jenter 13–16 år",
        "leisure",
        (13, 16),
        3,
        "Kultur og fritid",
        "initiated",
    ),
    (
        "Oppfølging av Ungdata: ensomhet på 8. trinn",
        "Mange på 8. trinn oppgir at de er ensomme.",
        "Ungdata 2025",
        "Elever på 8. trinn",
        "school",
        (13, 14),
        3,
        "Ungdomsskolene",
        "under_evaluation",
    ),
    (
        "Rus og førstehjelp – kurs for russen",
        "Russen mangler kunnskap om rus og førstehjelp.",
        "Helsestasjon for ungdom",
        "Russen",
        "nightlife",
        (18, 19),
        1,
        None,
        "need_identified",
    ),
    (
        "Trygg skolevei – belysning og fotgjengerfelt",
        "Foreldre melder om utrygge skoleveier.",
        "Trygghetsvandring",
        "Elever og foreldre",
        "neighbourhood",
        None,
        2,
        "Teknisk etat",
        "in_follow_up",
    ),
    (
        "Voksne moderatorer i den digitale ungdomsklubben",
        "Ungdom møtes på nett uten voksne til stede.",
        "Kultur og fritid",
        "Ungdom 13–17 år",
        "digital",
        (13, 17),
        2,
        "Kultur og fritid",
        "assigned",
    ),
    (
        "Kontroll av aldersgrense ved salg av alkohol",
        "Ungdom oppgir at det er lett å kjøpe alkohol.",
        "Ungdata 2025",
        "Salgssteder",
        "nightlife",
        None,
        1,
        "Politiet",
        "evaluated",
    ),
    (
        "Leksehjelp med frivillige i bydelshuset",
        "Mange elever mangler ro og hjelp til lekser.",
        "Frivilligsentralen",
        "Elever 12–16 år",
        "school",
        (12, 16),
        3,
        "Frivilligsentralen",
        "initiated",
    ),
    (
        "Rutine for varsling om uro i sentrum",
        "Politi og utekontakt får vite om uro for sent.",
        "Koordineringsgruppen",
        "Politiet og utekontakten",
        "neighbourhood",
        None,
        2,
        None,
        "need_identified",
    ),
    (
        "Rekruttere foreldre som natteravner",
        "For få voksne ute på kveldstid.",
        "Frivilligsentralen",
        "Foreldre",
        "nightlife",
        None,
        2,
        None,
        "need_identified",
    ),
    (
        "Friluftsdager for ungdom utenfor organisert idrett",
        "Ungdom som ikke trener savner aktiviteter.",
        "Ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        (13, 17),
        3,
        "Kultur og fritid",
        "assigned",
    ),
    (
        "Gruppesamtaler om vold i nære relasjoner",
        "Skolene ber om tilbud om temaet.",
        "Barnevernet",
        "Elever på 9. og 10. trinn",
        "family",
        (14, 16),
        1,
        "Barnevernet",
        "initiated",
    ),
    (
        "Sommeråpen ungdomsklubb i Nordbyen",
        "Ingen tilbud i Nordbyen i ferien.",
        "Ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        (13, 17),
        3,
        None,
        "need_identified",
    ),
]

# The triggers that take a new need to each state, in order.
PATHS = {
    "need_identified": [],
    "declined": ["decline"],
    "initiated": ["initiate"],
    "assigned": ["initiate", "assign"],
    "in_follow_up": ["initiate", "assign", "start", "report_status"],
    "paused": ["initiate", "assign", "start", "report_status", "pause"],
    "under_evaluation": ["initiate", "assign", "start", "report_status", "request_evaluation"],
    "evaluated": ["initiate", "assign", "start", "report_status", "request_evaluation", "submit_evaluation"],
    "closed": ["initiate", "assign", "start", "report_status", "request_evaluation", "submit_evaluation", "close"],
}

FINDINGS = {
    "achieved": "Godt oppmøte gjennom hele perioden; deltakerne og foreldrene opplever tiltaket som nyttig.",
    "partly": "Godt oppmøte i starten, men tiltaket nådde færre i målgruppen enn planlagt.",
    "not_achieved": "Lavt oppmøte; målgruppen ble ikke nådd med dette opplegget.",
    "unknown": "For få svar til å si noe sikkert om virkningen; bedre datagrunnlag neste periode.",
}

HEALTHS = ["on_track", "on_track", "at_risk", "on_track", "off_track"]


def _data(trigger: str, i: int, goal_id: int, unit_id: int | None, today) -> dict:  # type: ignore[no-untyped-def]
    if trigger == "initiate":
        return {
            "goal_id": goal_id,
            "plan": "Planlegges i koordineringsgruppen med de berørte enhetene.",
            "success_criteria": "Færre hendelser og bedre resultater i neste Ungdata-undersøkelse.",
        }
    if trigger == "decline":
        return {"reason": "Dekkes av eksisterende tiltak; tas opp igjen ved neste rullering."}
    if trigger == "assign":
        return {
            "responsible_unit_id": unit_id,
            "order_text": "Gjennomfør tiltaket som beskrevet i planen og rapporter status jevnlig.",
            "due_date": (today + timedelta(days=150)).isoformat(),
            "follow_up_days": [14, 21, 30, 30, 45][i % 5],
        }
    if trigger == "report_status":
        return {"health": HEALTHS[i % len(HEALTHS)], "note": "Tiltaket er i gang; oppmøtet er stabilt."}
    if trigger == "pause":
        return {"reason": "Venter på finansiering i neste budsjett."}
    if trigger == "request_evaluation":
        return {"note": "Tiltaksperioden er over; klart for evaluering."}
    if trigger == "submit_evaluation":
        effect = ["achieved", "partly", "partly", "not_achieved"][i % 4]
        return {
            "effect": effect,
            "method": "Spørreundersøkelse og samtaler med deltakerne.",
            "findings": FINDINGS[effect],
            "recommendation": {"achieved": "extend", "partly": "adjust", "not_achieved": "close"}[effect],
        }
    if trigger == "close":
        return {"decision_note": "Styringsgruppen avslutter tiltaket; erfaringene tas med videre."}
    return {}


def load_demo(samordna: Services, out: TextIO = sys.stdout, url: str = "http://127.0.0.1:8000") -> None:
    """Load the demo area (once) and print how to log in at `url`, where the server will answer."""
    with samordna.db.read() as s:
        exists = s.execute(select(Area.id).where(Area.slug == SLUG)).first() is not None
    if exists:
        if not load_calendar_demo(samordna, out):
            print("Demo-området «Eksempelvik kommune» finnes allerede; ingenting er endret.", file=out)
        _demo_reminders(samordna, out)
        _print_logins(out, url)
        return

    with samordna.db.write() as s:
        area = org.add_area(s, slug=SLUG, name="Eksempelvik kommune", kind="municipality")
        units = {name: org.add_unit(s, area=area, name=name, kind=kind).id for name, kind in UNITS}
        users: dict[str, User] = {}
        for email, name, role, unit in USERS:
            user = s.execute(select(User).where(User.email == email)).scalar_one_or_none()
            user = user or org.add_user(s, email=email, name=name, password=PASSWORD)
            org.add_member(s, area=area, user=user, role=role, unit_name=unit)
            users[role] = user
        for title, description, priority in GOALS:
            s.add(
                Goal(
                    area_id=area.id,
                    title=title,
                    description=description,
                    period_from=2025,
                    period_to=2028,
                    priority=priority,
                    created_by_id=users["steering"].id,
                )
            )
        s.flush()
        goal_ids = list(s.execute(select(Goal.id).where(Goal.area_id == area.id).order_by(Goal.priority)).scalars())
        actors = {role: load_actor(s, user) for role, user in users.items()}
        unit_ids = {u.name: u.id for u in s.execute(select(Unit).where(Unit.area_id == area.id)).scalars()}
    del units

    tz = ZoneInfo(samordna.settings.timezone)
    now = samordna.clock.now()
    meetings = _plan_demo_meetings(samordna, actors["coordinator"], now.astimezone(tz).year)
    # Working hours: every step happens at 09:00 UTC (10:00 or 11:00 in Norway) on its day. The measures'
    # steps and the meetings run in the order of their times, so each agenda shows the boards of its day.
    start = (now - timedelta(days=240)).replace(hour=0, minute=0, second=0, microsecond=0)
    closing: set[int] = set()
    runner = _MeetingRunner(samordna, actors, closing)
    current: dict[int, Any] = {}

    def register(i: int, creator: Actor, data: dict[str, Any], closes: bool) -> None:
        current[i] = samordna.measures.register_need(actor=creator, slug=SLUG, data=data)
        if closes:
            closing.add(current[i].id)

    def step(i: int, trigger: str, unit: str | None, goal_no: int) -> None:
        m = current[i]
        data = _data(trigger, i, goal_ids[goal_no - 1], unit_ids.get(unit or ""), samordna.clock.today())
        actor = _actor_for(trigger, unit, actors, i)
        current[i] = samordna.measures.record_transition(
            actor=actor, measure_id=m.id, trigger=trigger, version=m.version, data=data
        )

    steps = runner.steps(meetings, now)
    steps += _history_steps(samordna, actors, goal_ids, unit_ids, now)  # older measures: the report's history
    for i, (title, need, source, target, arena, ages, goal_no, unit, final) in enumerate(MEASURES):
        at = start + timedelta(days=i * 3, hours=9)
        creator = actors["executing"] if i % 3 == 0 else actors["coordination"]
        data = {"title": title, "need_description": need, "knowledge_source": source, "target_group": target}
        data["arena"] = arena
        if ages:
            data["age_from"], data["age_to"] = ages
        path = PATHS[final]
        # The last step lands 4–40 days ago, so some follow-ups are due and some overdue.
        end_day = 200 + (i % 4) * 12
        gap = timedelta(days=max(2, (end_day - i * 3) // len(path))) if path else timedelta(days=1)
        evaluated_at = at + gap * (len(path) - 1)
        in_meeting = final == "closed" and runner.decided_in_a_meeting(evaluated_at, meetings, now)
        steps.append((at, 2, partial(register, i, creator, data, in_meeting)))
        for trigger in path:
            at += gap
            if trigger == "close" and in_meeting:
                continue  # the steering group closes it in its meeting
            steps.append((at, 2, partial(step, i, trigger, unit, goal_no)))

    real_clock = samordna.clock.source
    clock = {"now": start}
    samordna.clock.source = lambda: clock["now"]
    try:
        for at, _order, action in sorted(steps, key=lambda x: (x[0], x[1])):
            clock["now"] = at
            action()
    finally:
        samordna.clock.source = real_clock
    _cancel_one(samordna, actors["coordinator"], meetings, now)
    held = sum(m.starts_at < now for m in meetings)
    print(
        f"Lastet demo-området «Eksempelvik kommune» med {len(MEASURES)} tiltak og {len(meetings)} møter "
        f"({held} holdt, med saksliste og referat), og {len(HISTORY) * len(HISTORY_PLACES)} eldre tiltak "
        "med to års historikk til styringsrapporten.",
        file=out,
    )
    load_calendar_demo(samordna, out)
    samordna.notifications.set_preferences(REMINDERS)
    _demo_reminders(samordna, out)
    _print_logins(out, url)


# Each demo user's reminder preferences (DESIGN.md §13): digest, which kinds of item, the mail's language.
ALL_KINDS = ["follow_up", "start", "evaluation", "decision", "meeting"]
REMINDERS = {
    "koordinator@eksempelvik.no": ("daily", ALL_KINDS, None),
    "styring@eksempelvik.no": ("weekly", ["evaluation", "decision", "meeting"], None),
    "koordinering@eksempelvik.no": ("daily", ["follow_up", "evaluation", "decision", "meeting"], None),
    "utforende@eksempelvik.no": ("daily", ALL_KINDS, None),
    "leser@eksempelvik.no": ("never", ["meeting"], None),
}


def _demo_reminders(samordna: Services, out: TextIO) -> None:
    """Today's reminders (once a day, like `samordna remind`): «Varsler» has something to show, the outbox a
    digest per user (sent only when SAMORDNA_SMTP_URL is set)."""
    report = samordna.notifications.compose()
    if report.notifications or report.mails:
        print(
            f"Påminnelser for i dag: {report.notifications} varsler, {report.mails} e-poster i utboksen "
            "(se `samordna outbox`).",
            file=out,
        )


def _actor_for(trigger: str, unit: str | None, actors, i: int):  # type: ignore[no-untyped-def]
    if trigger in ("start", "report_status", "request_evaluation") and unit == "Ungdomsskolene":
        return actors["executing"]
    if trigger == "close":
        return actors["steering"]
    if trigger == "start":
        return actors["coordinator"]
    return actors["coordinator"] if i % 2 else actors["coordination"]


def _print_logins(out: TextIO, url: str) -> None:
    print(f"Logg inn på {url}/login med passordet «demo» og en av disse:", file=out)
    for email, name, role, unit in USERS:
        where = f", {unit}" if unit else ""
        print(f"  {email:<30} {name} ({role}{where})", file=out)


# ---------------------------------------------------------------- the year of the annual wheel (årshjul)

# title, month, day (None: the whole month), level (None: everyone), description
MILESTONES = [
    ("Ungdata-undersøkelsen", 2, None, "coordination", "Elevene på ungdomsskolen og videregående svarer i skoletiden."),
    ("Årsrapport til kommunestyret", 3, 20, "steering", "SLT-arbeidet året før: tiltak, resultater og veien videre."),
    (
        "Planlegge sommertiltak for ungdom",
        4,
        None,
        "executing",
        "Sommerjobb, aktivitetsdager og utekontaktens kveldsrunder.",
    ),
    (
        "Budsjettinnspill til kommunedirektøren",
        5,
        15,
        "steering",
        "Innspill til handlings- og økonomiplanen for neste år.",
    ),
    (
        "Ungdata-resultatene legges fram",
        6,
        None,
        None,
        "Kommunens resultater gjennomgås i koordineringsgruppen og på SLT-samlingen.",
    ),
    (
        "Ekstra innsats i sentrum i sommerferien",
        7,
        None,
        "executing",
        "Natteravner, utekontakt og politi samordner kveldene.",
    ),
    (
        "Revisjon av handlingsplanen",
        9,
        None,
        "steering",
        "Mål og prioriteringer for neste år, med Ungdata og politiets tall som grunnlag.",
    ),
    ("Kommunestyret vedtar budsjettet", 12, 14, "steering", "Vedtaket avgjør rammene for neste års tiltak."),
]

PLACES = {
    "coordination": "Rådhuset, møterom Fjorden",
    "steering": "Rådhuset, formannskapssalen",
    "executing": "Ungdomshuset",
    "all": "Kulturhuset, storsalen",
}


# body level -> (title, weekday (0 = Monday), nth of the month (5 = the last), months met, start, hours)
RHYTHMS = {
    "coordination": ("Månedsmøte", 1, 2, tuple(m for m in range(1, 13) if m != 7), "09:00", "11:00"),
    "steering": ("Politirådsmøte", 3, 1, (2, 4, 6, 9, 11), "13:00", "15:00"),
    "executing": ("Nettverksmøte skole og fritid", 2, 3, (3, 5, 10, 12), "12:00", "14:00"),
}
GATHERING = (10, 2, 4, "09:00", "15:00")  # the SLT-samling: month, weekday, nth, start, end
AGENDA_DAYS = 7  # the agenda goes out a week before the meeting
CANCEL_REASON = "Flyttes til neste måned: mange av medlemmene er på kurs."
POLICE_BRIEFING = (
    "orientation",
    "Politiets situasjonsbilde",
    "Kort om hendelser blant unge siden forrige møte, på gruppenivå.",
)
CLOSE_NOTES = (
    "Tiltaket avsluttes etter evalueringen. Erfaringene tas med i revisjonen av handlingsplanen.",
    "Tiltaket avsluttes. Målet er nådd, og arbeidet videreføres i ordinær drift hos den ansvarlige enheten.",
    "Tiltaket avsluttes. Det nådde for få i målgruppen; koordineringsgruppen vurderer et nytt opplegg.",
)
WAIT_NOTE = "Styringsgruppen vil se Ungdata-resultatene før den tar stilling; saken settes opp igjen."


def _plan_demo_meetings(samordna: Services, coordinator: Actor, year: int) -> list[MeetingView]:
    """The meetings of `year` and the next, planned through the meetings service the way a coordinator
    plans a year (a rhythm per body, public holidays skipped), on January 2nd of `year`."""
    tz = ZoneInfo(samordna.settings.timezone)
    real = samordna.clock.source
    samordna.clock.source = lambda: datetime(year, 1, 2, 9, tzinfo=tz).astimezone(UTC)
    try:
        for y in (year, year + 1):
            for level, (title, weekday, nth, months, start, end) in RHYTHMS.items():
                data = {
                    "body": level,
                    "year": y,
                    "weekday": weekday,
                    "nth": nth,
                    "skip_months": [m for m in range(1, 13) if m not in months],
                    "on_holiday": "skip",
                    "start": start,
                    "end": end,
                    "title": title,
                    "place": PLACES[level],
                }
                samordna.meetings.plan_year(actor=coordinator, slug=SLUG, data=data)
            month, weekday, nth, start, end = GATHERING
            day = nth_weekday(y, month, weekday, nth)
            data = {"body": "all", "day": day.isoformat(), "start": start, "end": end, "place": PLACES["all"]}
            samordna.meetings.plan(actor=coordinator, slug=SLUG, data={**data, "title": f"SLT-samling {y}"})
    finally:
        samordna.clock.source = real
    overview = samordna.meetings.overview(actor=coordinator, slug=SLUG)
    meetings = [m for b in overview.bodies for m in (*b.coming, *b.past)]
    return sorted(meetings, key=lambda m: m.starts_at)


class _MeetingRunner:
    """What the coordinator does around each meeting that has been: the agenda sent a week before (generated
    from the boards as they stood then, with the police's briefing added), the meeting itself (the steering
    group's decisions on evaluated measures recorded from the agenda, notes, attendance, the meeting held)
    and the previous meeting's minutes approved. The last meeting of each body stays held, its minutes
    waiting for the next one. Steps run at their own time on the demo's clock, between the measures' steps."""

    def __init__(self, samordna: Services, actors: dict[str, Actor], closing: set[int]) -> None:
        self.samordna, self.actors = samordna, actors
        self.closing = closing  # measures the steering group closes when they come up
        self.previous: dict[int, int] = {}  # body id -> its last held meeting

    def steps(self, meetings: list[MeetingView], now: datetime) -> list[tuple[datetime, int, Any]]:
        out: list[tuple[datetime, int, Any]] = []
        for m in meetings:
            sent = m.starts_at - timedelta(days=AGENDA_DAYS)
            if sent < now:  # also the coming meeting whose agenda has gone out
                out.append((sent, 0, partial(self.send, m)))
            if m.starts_at < now:
                out.append((m.starts_at, 1, partial(self.run, m)))
        return out

    def send(self, m: MeetingView) -> None:
        meetings, coordinator = self.samordna.meetings, self.actors["coordinator"]
        if m.body.level in ("coordination", "all"):
            kind, title, text = POLICE_BRIEFING
            meetings.add_item(actor=coordinator, meeting_id=m.id, data={"kind": kind, "title": title, "text": text})
        agenda = meetings.agenda(actor=coordinator, meeting_id=m.id)
        meetings.send_agenda(actor=coordinator, meeting_id=m.id, version=agenda.meeting.version)

    def run(self, m: MeetingView) -> None:
        meetings, coordinator = self.samordna.meetings, self.actors["coordinator"]
        minutes = meetings.minutes(actor=coordinator, meeting_id=m.id)
        status = {f"status_{uid}": "present" for uid, _name in minutes.members}
        if len(minutes.members) > 3:  # in a larger group someone has sent apologies
            status[f"status_{minutes.members[-1][0]}"] = "excused"
        meetings.record_attendance(actor=coordinator, meeting_id=m.id, data=status)
        previous = self.previous.get(m.body.id)
        if previous is not None:
            held = meetings.get(actor=coordinator, meeting_id=previous)
            meetings.approve_minutes(actor=coordinator, meeting_id=previous, in_meeting_id=m.id, version=held.version)
        for item in minutes.agenda.items:
            if item.kind != "measure" or m.body.level != "steering":
                continue
            measure = self.samordna.measures.get(actor=coordinator, measure_id=item.measure_id)
            if measure.state != "evaluated":
                continue
            if measure.id in self.closing:
                meetings.record_decision(
                    actor=coordinator,
                    meeting_id=m.id,
                    item_id=item.id,
                    trigger="close",
                    version=measure.version,
                    data={"decision_note": CLOSE_NOTES[measure.id % len(CLOSE_NOTES)]},
                    note="Enstemmig.",
                )
            else:
                meetings.save_note(actor=coordinator, meeting_id=m.id, item_id=item.id, note=WAIT_NOTE)
        version = meetings.get(actor=coordinator, meeting_id=m.id).version
        summary = {"summary": "Gjennomført etter sakslisten."}
        meetings.hold(actor=coordinator, meeting_id=m.id, version=version, data=summary)
        self.previous[m.body.id] = m.id

    def decided_in_a_meeting(self, evaluated_at: datetime, meetings: list[MeetingView], now: datetime) -> bool:
        """Whether a steering meeting's agenda goes out after `evaluated_at` and the meeting is held before now."""
        return any(
            m.body.level == "steering"
            and m.starts_at - timedelta(days=AGENDA_DAYS) > evaluated_at
            and m.starts_at < now
            for m in meetings
        )


def _run_meetings_alone(samordna: Services, coordinator: Actor) -> list[MeetingView]:
    """A year of meetings for a demo area loaded before meetings existed: planned, and those that have been
    sent, held and approved on the demo's clock (the measures are as they are now: no decisions)."""
    now = samordna.clock.now()
    meetings = _plan_demo_meetings(samordna, coordinator, now.astimezone(ZoneInfo(samordna.settings.timezone)).year)
    runner = _MeetingRunner(samordna, {"coordinator": coordinator}, set())
    real = samordna.clock.source
    try:
        for at, _order, action in sorted(runner.steps(meetings, now), key=lambda x: (x[0], x[1])):
            samordna.clock.source = lambda at=at: at
            action()
    finally:
        samordna.clock.source = real
    _cancel_one(samordna, coordinator, meetings, now)
    return meetings


def _cancel_one(samordna: Services, coordinator: Actor, meetings: list[MeetingView], now: datetime) -> None:
    """The first coordination meeting more than a month ahead is cancelled, with the reason."""
    coming = [m for m in meetings if m.body.level == "coordination" and m.starts_at > now + timedelta(days=30)]
    if coming:
        m = coming[0]
        data = {"reason": CANCEL_REASON}
        samordna.meetings.cancel(actor=coordinator, meeting_id=m.id, version=m.version, data=data)


def load_calendar_demo(samordna: Services, out: TextIO = sys.stdout) -> bool:
    """The demo area's milestones and the meetings of this year and the next, each loaded once (also into a demo area loaded
    before they existed). Whether anything was added."""
    with samordna.db.read() as s:
        area = s.execute(select(Area).where(Area.slug == SLUG)).scalar_one_or_none()
        if area is None:
            return False
        has_milestones = s.execute(select(func.count()).where(Milestone.area_id == area.id)).scalar_one() > 0
        has_meetings = s.execute(select(func.count()).where(Meeting.area_id == area.id)).scalar_one() > 0
        coordinator = (
            s.execute(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.area_id == area.id, Membership.role == "coordinator", Membership.active)
            )
            .scalars()
            .first()
        )
        actor = load_actor(s, coordinator) if coordinator else None
    added: list[str] = []
    if not has_milestones and actor is not None:
        for title, month, day, level, description in MILESTONES:
            data = {"title": title, "month": month, "day": day, "level": level, "description": description}
            samordna.calendar.add_milestone(actor=actor, slug=SLUG, data=data)
        added.append(f"{len(MILESTONES)} milepæler")
    if not has_meetings and actor is not None:
        meetings = _run_meetings_alone(samordna, actor)
        added.append(f"{len(meetings)} møter")
    if added:
        print(f"Årshjulet for «Eksempelvik kommune»: {' og '.join(added)} lagt inn.", file=out)
    return bool(added)


# ---------------------------------------------------------------- the years before: history for the steering report

# Older measures, each run in three parts of the municipality, so that every goal has a couple of years of
# history: needs declined or initiated, follow-ups with status reports month by month (some late),
# pauses, evaluations and the steering group's decisions — extended, adjusted or closed.
# title, need, knowledge source, target group, arena, goal no., responsible unit
HISTORY = [
    (
        "Rusfri russefeiring",
        "Russen drikker mye i de første ukene av mai.",
        "Ungdata",
        "Russ og foreldre",
        "nightlife",
        1,
        "Helsestasjon for ungdom",
    ),
    (
        "Samtalegrupper om snus",
        "Økende snusbruk på ungdomsskolen.",
        "Ungdata",
        "Elever på 9. og 10. trinn",
        "school",
        1,
        "Ungdomsskolene",
    ),
    (
        "Foreldrenettverk mot langing",
        "Ungdom får alkohol fra eldre venner og søsken.",
        "Politiets statistikk",
        "Foreldre til ungdom 14–17 år",
        "family",
        1,
        "Politiet",
    ),
    (
        "Tidlig innsats ved bekymring for rus",
        "Bekymringer for rus fanges opp for sent.",
        "Barnevernet",
        "Ungdom 13–17 år",
        "family",
        1,
        "Barnevernet",
    ),
    (
        "Informasjon om cannabis på 10. trinn",
        "Elever tror cannabis er ufarlig.",
        "Elevundersøkelsen",
        "Elever på 10. trinn",
        "school",
        1,
        "Ungdomsskolene",
    ),
    (
        "Ruskontrakter med oppfølging",
        "Ungdom med første rusforseelse følges ikke opp.",
        "Konfliktrådet",
        "Ungdom 15–18 år",
        "other",
        1,
        "Konfliktrådet",
    ),
    (
        "Natteravner i helgene",
        "Uro blant ungdom sene helgekvelder.",
        "Politiets statistikk",
        "Ungdom 14–18 år",
        "nightlife",
        2,
        "Frivilligsentralen",
    ),
    (
        "Trygghetsvandring med ungdomsrådet",
        "Ungdom opplever noen steder som utrygge.",
        "Ungdomsrådet",
        "Ungdom og voksne",
        "neighbourhood",
        2,
        "Teknisk etat",
    ),
    (
        "Bekymringssamtaler etter hærverk",
        "Gjentatt hærverk mot skolebygg.",
        "Politiets statistikk",
        "Ungdom 13–16 år",
        "neighbourhood",
        2,
        "Politiet",
    ),
    (
        "Utekontakt på kjøpesenteret",
        "Grupper av ungdom samles uten voksne.",
        "Observasjoner fra utekontakten",
        "Ungdom 13–18 år",
        "neighbourhood",
        2,
        "Utekontakten",
    ),
    (
        "Trygg skolevei om vinteren",
        "Mørke og glatte snarveier til skolen.",
        "Foreldreutvalget",
        "Elever på 5.–10. trinn",
        "neighbourhood",
        2,
        "Teknisk etat",
    ),
    (
        "Kurs i nettvett for foreldre",
        "Foreldre vet lite om hva barna møter på nett.",
        "Elevundersøkelsen",
        "Foreldre til elever på 6.–8. trinn",
        "digital",
        2,
        "PPT",
    ),
    (
        "Gratis fritidskort",
        "Familier med lav inntekt har ikke råd til aktiviteter.",
        "NAV",
        "Barn og ungdom 10–18 år",
        "leisure",
        3,
        "Kultur og fritid",
    ),
    (
        "Ungdomsklubb med åpen hall",
        "Få steder å være på fredagskvelder.",
        "Ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        3,
        "Kultur og fritid",
    ),
    ("Sommerjobb for ungdom", "Ungdom uten sommerjobb henger mye ute.", "NAV", "Ungdom 15–17 år", "leisure", 3, "NAV"),
    (
        "Aktivitetsguide for nyankomne",
        "Nyankomne ungdommer deltar lite i fritidstilbud.",
        "Frivilligsentralen",
        "Ungdom 12–18 år",
        "leisure",
        3,
        "Frivilligsentralen",
    ),
    (
        "Leksehjelp og middag",
        "Mange elever mangler ro og hjelp til lekser.",
        "Ungdomsskolene",
        "Elever 12–16 år",
        "school",
        3,
        "Frivilligsentralen",
    ),
    (
        "Friluftsgruppe for ungdom",
        "Ungdom som ikke trener savner aktiviteter.",
        "Ungdomsrådet",
        "Ungdom 13–17 år",
        "leisure",
        3,
        "Kultur og fritid",
    ),
]
HISTORY_PLACES = ("Nordbyen", "sentrum", "Sørsida")
HISTORY_DAYS = 720  # how long before today the first of them was registered
HISTORY_NOTES = {
    "on_track": "Tiltaket går etter planen; godt oppmøte.",
    "at_risk": "Færre deltakere enn ventet; tiltaket følges tett.",
    "off_track": "Tiltaket har stoppet opp; vi mangler folk.",
}


def _history_steps(
    samordna: Services, actors: dict[str, Actor], goal_ids: list[int], unit_ids: dict[str, int], now: datetime
) -> list[tuple[datetime, int, Any]]:
    """The older measures' steps at their own times (09:00 UTC on their days), for load_demo to run on its clock."""
    rng = random.Random(20261)
    current: dict[int, Any] = {}
    steps: list[tuple[datetime, int, Any]] = []
    last = now - timedelta(days=2)
    start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)
    measures = [(base, place) for place in HISTORY_PLACES for base in HISTORY]

    def register(i: int, creator: Actor, data: dict[str, Any]) -> None:
        current[i] = samordna.measures.register_need(actor=creator, slug=SLUG, data=data)

    def fire(i: int, who: Actor, trigger: str, data: dict[str, Any]) -> None:
        m = current[i]
        data = {k: (v(samordna.clock.today()) if callable(v) else v) for k, v in data.items()}
        current[i] = samordna.measures.record_transition(
            actor=who, measure_id=m.id, trigger=trigger, version=m.version, data=data
        )

    for i, ((title, need, source, target, arena, goal_no, unit), place) in enumerate(measures):
        at = start + timedelta(days=i * (HISTORY_DAYS - 200) // len(measures) + rng.randint(0, 4))
        executing = unit == "Ungdomsskolene"
        worker = actors["executing"] if executing else actors["coordination"]
        office = actors["coordinator"] if i % 2 else actors["coordination"]
        data = {
            "title": f"{title} i {place}" if place != "sentrum" else f"{title} i sentrum",
            "need_description": need,
            "knowledge_source": source,
            "target_group": target,
            "arena": arena,
        }
        steps.append((at, 2, partial(register, i, worker, data)))
        plan: list[tuple[int, Actor, str, dict[str, Any]]] = []  # (days after the last step, who, trigger, data)
        quiet = last  # status reports stop here: some measures have gone quiet lately, their follow-up overdue
        profile = "good"
        if rng.random() < 0.12:
            plan.append((rng.randint(7, 30), office, "decline", {"reason": "Dekkes av andre tiltak i samme område."}))
        else:
            profile = rng.choice(("good", "good", "mixed", "mixed", "poor"))
            if profile != "good" and rng.random() < 0.6:
                quiet = last - timedelta(days=rng.randint(40, 90))
            follow = rng.choice((14, 21, 30, 30, 45))
            plan += _history_start(
                rng, actors, office, worker, goal_ids[goal_no - 1], unit_ids[unit], follow, rng.randint(7, 25)
            )
            for _round in range(3):
                plan += _history_follow_up(rng, office, worker, profile, follow, rng.randint(90, 260))
                effect = {"good": "achieved", "mixed": "partly", "poor": "not_achieved"}[profile]
                if rng.random() < 0.3:
                    effect = rng.choice(("achieved", "partly", "not_achieved", "unknown"))
                decision = {
                    "achieved": rng.choice(("extend", "close")),
                    "partly": rng.choice(("adjust", "extend")),
                    "not_achieved": "close",
                    "unknown": "extend",
                }[effect]
                plan += [
                    (0, worker, "request_evaluation", {"note": "Tiltaksperioden er over; klart for evaluering."}),
                    (
                        rng.randint(10, 30),
                        office,
                        "submit_evaluation",
                        {
                            "effect": effect,
                            "method": "Spørreundersøkelse og samtaler med deltakerne.",
                            "findings": FINDINGS[effect],
                            "recommendation": decision,
                        },
                    ),
                ]
                wait = rng.randint(14, 60)
                if decision == "close":
                    plan.append(
                        (
                            wait,
                            actors["steering"],
                            "close",
                            {"decision_note": "Styringsgruppen avslutter tiltaket; erfaringene tas med videre."},
                        )
                    )
                    break
                if decision == "extend":
                    plan.append(
                        (
                            wait,
                            actors["steering"],
                            "extend",
                            {
                                "decision_note": "Videreføres ett år til.",
                                "due_date": lambda today: (today + timedelta(days=365)).isoformat(),
                            },
                        )
                    )
                else:
                    plan.append(
                        (
                            wait,
                            actors["steering"],
                            "adjust",
                            {"decision_note": "Justeres: nytt opplegg for målgruppen."},
                        )
                    )
                    plan += _history_start(
                        rng, actors, office, worker, None, unit_ids[unit], follow, rng.randint(10, 30)
                    )
            else:  # not closed: it runs on until today
                plan += _history_follow_up(rng, office, worker, profile, follow, HISTORY_DAYS)
        for days, who, trigger, step_data in plan:
            at += timedelta(days=days)
            if at > last:
                break
            if trigger == "report_status" and at > quiet:
                continue
            steps.append((at, 2, partial(fire, i, who, trigger, step_data)))
    return steps


def _history_start(
    rng: random.Random,
    actors: dict[str, Actor],
    office: Actor,
    worker: Actor,
    goal_id: int | None,
    unit_id: int,
    follow: int,
    wait: int,
) -> list[tuple[int, Actor, str, dict[str, Any]]]:
    """Initiated (unless adjusted back to initiated), assigned and started."""
    out: list[tuple[int, Actor, str, dict[str, Any]]] = []
    if goal_id is not None:
        out.append(
            (
                wait,
                office,
                "initiate",
                {
                    "goal_id": goal_id,
                    "plan": "Planlegges med de berørte enhetene.",
                    "success_criteria": "Færre hendelser og bedre Ungdata-tall.",
                },
            )
        )
        wait = rng.randint(7, 30)
    out.append(
        (
            wait,
            office,
            "assign",
            {
                "responsible_unit_id": unit_id,
                "order_text": "Gjennomfør tiltaket som beskrevet i planen og rapporter status jevnlig.",
                "due_date": lambda today: (today + timedelta(days=200)).isoformat(),
                "follow_up_days": follow,
            },
        )
    )
    starter = worker if worker is actors["executing"] else actors["coordinator"]  # coordination may not start
    out.append((rng.randint(3, 14), starter, "start", {}))
    return out


def _history_follow_up(
    rng: random.Random, office: Actor, worker: Actor, profile: str, follow: int, days: int
) -> list[tuple[int, Actor, str, dict[str, Any]]]:
    """Status reports every `follow` days for about `days` days (now and then late), maybe a pause."""
    weights = {"good": (8, 2, 0), "mixed": (5, 3, 2), "poor": (3, 4, 3)}[profile]
    out: list[tuple[int, Actor, str, dict[str, Any]]] = []
    spent = 0
    paused = False
    while spent < days:
        gap = follow + rng.randint(-3, 4) + (rng.randint(15, 40) if rng.random() < 0.15 else 0)
        if not paused and rng.random() < 0.06:
            out.append((gap // 2, office, "pause", {"reason": "Venter på lokaler og nye midler."}))
            out.append((rng.randint(20, 60), office, "resume", {}))
            paused = True
            spent += gap
            continue
        health = rng.choices(("on_track", "at_risk", "off_track"), weights=weights)[0]
        out.append((gap, worker, "report_status", {"health": health, "note": HISTORY_NOTES[health]}))
        spent += gap
    return out
