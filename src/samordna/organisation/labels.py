"""Words the admin templates show for stored values (audit kinds, details, roles, unit kinds), in the page's
language."""

from __future__ import annotations

from typing import Any

from samordna.organisation.fields import ROLE_OPTION_LABELS, UNIT_KIND_LABELS
from samordna.organisation.views import AuditRow
from samordna.web.i18n import N_
from samordna.web.i18n import gettext as _

KIND_LABELS = {
    "unit_added": N_("Enhet lagt til"),
    "unit_renamed": N_("Enhet har fått nytt navn"),
    "unit_deactivated": N_("Enhet deaktivert"),
    "unit_reactivated": N_("Enhet aktivert igjen"),
    "member_added": N_("Medlem lagt til"),
    "member_role_changed": N_("Rolle endret"),
    "member_unit_changed": N_("Enhet for medlem endret"),
    "member_deactivated": N_("Medlemskap deaktivert"),
    "member_reactivated": N_("Medlemskap aktivert igjen"),
    "user_deactivated": N_("Bruker deaktivert: innlogging og API-nøkler stengt"),
    "user_reactivated": N_("Bruker aktivert igjen"),
    "goal_created": N_("Mål opprettet"),
    "goal_archived": N_("Mål arkivert"),
    "goal_unarchived": N_("Mål hentet fram igjen"),
    "milestone_added": N_("Milepæl lagt til i årshjulet"),
    "milestone_changed": N_("Milepæl i årshjulet endret"),
    "milestone_removed": N_("Milepæl fjernet fra årshjulet"),
    "calendar_key_renewed": N_("Ny kalenderadresse for et organ"),
    "calendar_feed_renewed": N_("Ny adresse for egen kalender"),
    "login": N_("Innlogging"),
    "login_failed": N_("Mislykket innlogging"),
    "login_throttled": N_("Innlogging stanset etter for mange forsøk"),
    "logout": N_("Utlogging"),
    "password_changed": N_("Passord endret"),
    "password_reset": N_("Passord satt på nytt"),
    "authorization_refused": N_("Tilgang nektet"),
    "area_exported": N_("Området lastet ned (eksport)"),
    "area_imported": N_("Området lest inn fra en eksportfil"),
}

DETAIL_LABELS = {
    "name": N_("Navn"),
    "kind": N_("Type"),
    "role": N_("Rolle"),
    "unit": N_("Enhet"),
    "new_user": N_("Ny bruker"),
    "period": N_("Periode"),
    "priority": N_("Prioritet"),
    "tokens_revoked": N_("API-nøkler stengt"),
    "sessions_ended": N_("Innlogginger avsluttet"),
    "status": N_("Svar"),
    "method": N_("Metode"),
    "via": N_("Via"),
    "exported_at": N_("Eksportert"),
    "new_users": N_("Nye brukere"),
    "linked_users": N_("Brukere som fantes fra før"),
}


class UI:
    """Words the admin templates show for stored values, in the page's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def role(self, key: str) -> str:
        label = ROLE_OPTION_LABELS.get(key)
        return label.get(self.lang) if label else key

    def kind(self, key: str) -> str:
        label = UNIT_KIND_LABELS.get(key)
        return label.get(self.lang) if label else key

    def event(self, kind: str) -> str:
        return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind

    def _value(self, key: str, value: Any) -> str:
        if value is None or value == "":
            return _("ingen")
        if key == "role":
            return self.role(str(value))
        if key == "kind":
            return self.kind(str(value))
        if isinstance(value, bool):
            return _("ja") if value else _("nei")
        return str(value)

    def details(self, entry: AuditRow) -> list[tuple[str, str]]:
        """(label, text) per detail: «Rolle: Utførende nivå → Koordineringsgruppen»."""
        out = []
        for key, value in entry.detail.items():
            label = _(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key
            if key == "period" and isinstance(value, list) and len(value) == 2:
                text = f"{value[0]}–{value[1]}"
            elif isinstance(value, list) and len(value) == 2:
                text = f"{self._value(key, value[0])} → {self._value(key, value[1])}"
            else:
                text = self._value(key, value)
            out.append((label, text))
        return out
