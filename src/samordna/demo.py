"""The fictional demo area «Eksempelvik kommune»: units, goals, one user per role and ~40 measures.

Every measure is written through the same services as a user would, with a clock set back in time,
so its history (events, status reports, follow-up dates) is real. Loading it twice changes nothing.

Size: most of it is the demo area's data (measures, their histories, a year of meetings), not logic.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import func, select

from samordna.accounts.repository import load_actor
from samordna.organisation import repository as org
from samordna.services import Services
from samordna.store.models import Area, Body, Goal, Meeting, Membership, Milestone, Unit, User

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

    real_clock = samordna.clock.source
    # Working hours: every step happens at 09:00 UTC (10:00 or 11:00 in Norway) on its day.
    start = (datetime.now(UTC) - timedelta(days=240)).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = {"now": start}
    samordna.clock.source = lambda: clock["now"]
    try:
        for i, (title, need, source, target, arena, ages, goal_no, unit, final) in enumerate(MEASURES):
            clock["now"] = start + timedelta(days=i * 3, hours=9)
            creator = actors["executing"] if i % 3 == 0 else actors["coordination"]
            data = {
                "title": title,
                "need_description": need,
                "knowledge_source": source,
                "target_group": target,
                "arena": arena,
            }
            if ages:
                data["age_from"], data["age_to"] = ages
            m = samordna.measures.register_need(actor=creator, slug=SLUG, data=data)
            steps = PATHS[final]
            # The last step lands 4–40 days ago, so some follow-ups are due and some overdue.
            end_day = 200 + (i % 4) * 12
            gap = timedelta(days=max(2, (end_day - i * 3) // len(steps))) if steps else timedelta(days=1)
            for trigger in steps:
                clock["now"] += gap
                actor = _actor_for(trigger, unit, actors, i)
                m = samordna.measures.record_transition(
                    actor=actor,
                    measure_id=m.id,
                    trigger=trigger,
                    version=m.version,
                    data=_data(trigger, i, goal_ids[goal_no - 1], unit_ids.get(unit or ""), samordna.clock.today()),
                )
    finally:
        samordna.clock.source = real_clock
    print(f"Lastet demo-området «Eksempelvik kommune» med {len(MEASURES)} tiltak.", file=out)
    load_calendar_demo(samordna, out)
    _print_logins(out, url)


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


def _weekday_in_month(year: int, month: int, weekday: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _demo_year(year: int) -> list[tuple[str, str, date, time, int]]:
    """(level, title, day, start, hours) of a realistic SLT year; no meeting on a public holiday."""
    free = holidays.Norway(years=year, language="no")
    plan = []
    for month in range(1, 13):
        if month != 7:  # coordination: 2nd Tuesday of every month except July
            plan.append(("coordination", "Månedsmøte", _weekday_in_month(year, month, 1, 2), time(9), 2))
    for month in (2, 4, 6, 9, 11):  # steering (politirådet): five times, first Thursday
        plan.append(("steering", "Politirådsmøte", _weekday_in_month(year, month, 3, 1), time(13), 2))
    for month in (3, 5, 10, 12):  # executing: the network of school, leisure and outreach, third Wednesday
        plan.append(("executing", "Nettverksmøte skole og fritid", _weekday_in_month(year, month, 2, 3), time(12), 2))
    plan.append(("all", f"SLT-samling {year}", _weekday_in_month(year, 10, 3, 4), time(9), 6))
    out = []
    for level, title, day, start, hours in plan:
        while day in free:
            day += timedelta(days=7)
        out.append((level, title, day, start, hours))
    return out


def _insert_demo_meetings(samordna: Services, area_id: int, year: int) -> int:
    """The meetings of `year` and the next, written straight into the meeting table.

    Replaceable: once the meetings room plans meetings (and rhythms), the demo should plan them through
    its service instead. Past meetings are held with approved minutes, except the last one of each body
    (held, minutes not yet approved); one coming coordination meeting is cancelled."""
    tz = ZoneInfo(samordna.settings.timezone)
    now = samordna.clock.now()
    plan = _demo_year(year) + _demo_year(year + 1)  # this year on the wheel, and the coming months in the feeds
    with samordna.db.write() as s:
        bodies = {b.level: b for b in s.execute(select(Body).where(Body.area_id == area_id)).scalars()}
        last_past: dict[str, datetime] = {}
        for level, _title, day, start, _hours in plan:
            at = datetime.combine(day, start, tzinfo=tz)
            if at < now:
                last_past[level] = max(last_past.get(level, at), at)
        cancelled = next(
            (
                datetime.combine(d, t, tzinfo=tz)
                for lv, _x, d, t, _h in plan
                if lv == "coordination" and datetime.combine(d, t, tzinfo=tz) > now + timedelta(days=30)
            ),
            None,
        )
        for level, title, day, start, hours in plan:
            starts = datetime.combine(day, start, tzinfo=tz)
            if starts == cancelled:
                state, reason = "cancelled", "Flyttes til neste måned: mange av medlemmene er på kurs."
            elif starts >= now:
                state, reason = "planned", None
            elif starts == last_past.get(level):
                state, reason = "held", None
            else:
                state, reason = "minutes_approved", None
            s.add(
                Meeting(
                    area_id=area_id,
                    body_id=bodies[level].id,
                    title=title,
                    starts_at=starts.astimezone(UTC),
                    ends_at=(starts + timedelta(hours=hours)).astimezone(UTC),
                    place=PLACES[level],
                    state=state,
                    cancel_reason=reason,
                )
            )
        s.flush()
    return len(plan)


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
    added = []
    if not has_milestones and actor is not None:
        for title, month, day, level, description in MILESTONES:
            data = {"title": title, "month": month, "day": day, "level": level, "description": description}
            samordna.calendar.add_milestone(actor=actor, slug=SLUG, data=data)
        added.append(f"{len(MILESTONES)} milepæler")
    if not has_meetings:
        count = _insert_demo_meetings(samordna, area.id, samordna.clock.today().year)  # type: ignore[arg-type]
        added.append(f"{count} møter")
    if added:
        print(f"Årshjulet for «Eksempelvik kommune»: {' og '.join(added)} lagt inn.", file=out)
    return bool(added)
