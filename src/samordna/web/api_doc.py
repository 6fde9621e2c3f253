"""What the OpenAPI document says about the API beyond its handlers' signatures: the error answers each
operation can give (one `ErrorBody` schema, the shape `web.errors` sends), and for the request bodies the
fields that must be given and the limits each field has, taken from the same field definitions the
services validate with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition
from msgspec import UNSET, UnsetType

from samordna.fields import DB_INT_MAX, DB_INT_MIN, MAX_LENGTH
from samordna.workflow import FieldDef


class FieldErrorBody(msgspec.Struct, kw_only=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every refusal of the API: `status`, `title` and `detail` always; the rest where the refusal has it."""

    status: int
    title: str
    detail: str
    errors: list[FieldErrorBody] | UnsetType = UNSET  # 400 (fields that could not be read), 422
    state: str | None | UnsetType = UNSET  # 409
    current_version: int | None | UnsetType = UNSET  # 409
    allowed_triggers: list[str] | UnsetType = UNSET  # 409, a trigger not allowed in the state
    allowed_roles: list[str] | UnsetType = UNSET  # 403


WHEN = {
    400: "Forespørselen kunne ikke leses: ikke JSON, ikke et objekt, feil i en parameter, eller NUL i adressen.",
    401: "Mangler eller ugyldig API-nøkkel.",
    403: "Rollen (eller enheten) har ikke lov; `allowed_roles` sier hvem som har det.",
    404: "Finnes ikke, eller ligger i et SLT-område brukeren ikke er medlem av.",
    409: "Utdatert `version` (med `current_version`) eller en handling som ikke er lov i tilstanden "
    "(med `allowed_triggers`).",
    413: "Innholdet er større enn grensen.",
    415: "Innholdet er ikke application/json.",
    422: "Ugyldige felt: `errors` sier hvilke og hvorfor.",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The error answers an operation can give, each with the ErrorBody schema."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=WHEN[status], generate_examples=False)
        for status in statuses
    }


READ = errors(400, 401)
READ_IN_AREA = errors(400, 401, 404)
WRITE = errors(400, 401, 403, 404, 413, 415, 422)
VERSIONED_WRITE = errors(400, 401, 403, 404, 409, 413, 415, 422)


NO_NUL = r"^[^\u0000]*$"
# What the services strip from a text (Python's str.strip: every character str.isspace calls space, \x1c-\x1f and
# \x85 among them, which a JSON Schema regex's \s leaves out): a required text needs one character besides these.
SPACE = r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_NO_NUL = rf"^[^\u0000]*[^{SPACE}\u0000][^\u0000]*$"


# Checked by the services (a comment: services.measures) or only matched (a trigger): no NUL in either.
PLAIN = {
    "comment": Schema(type="string", max_length=MAX_LENGTH["longtext"], pattern=NO_NUL),
    "trigger": Schema(type="string", pattern=NO_NUL),
}

Fields = Iterable[tuple[FieldDef, bool]]


def field_schema(f: FieldDef, required: bool) -> Schema:
    """The JSON schema of one field, as `services.validation.clean` judges it."""
    if f.type in MAX_LENGTH:
        return Schema(type="string", max_length=MAX_LENGTH[f.type], pattern=NOT_BLANK_NO_NUL if required else NO_NUL)
    if f.type == "date":
        return Schema(type="string", format="date")
    if f.type == "enum":
        return Schema(type="string", enum=list(f.options))
    if f.type == "units":
        return Schema(type="array", items=Schema(type="integer", minimum=DB_INT_MIN, maximum=DB_INT_MAX))
    low = f.min if f.min is not None else DB_INT_MIN
    high = f.max if f.max is not None else DB_INT_MAX
    return Schema(type="integer", minimum=low, maximum=high)


def _nullable(schema: Any) -> bool:
    return any(getattr(s, "type", None) == "null" for s in (getattr(schema, "one_of", None) or []))


class DocumentedStructs(StructSchemaPlugin):
    """Litestar's schema of a msgspec struct, plus what a request struct's `doc_fields` say (its field
    definitions, each with whether it must be given and not be blank; `doc_all_optional`: none needs to be
    given, as in an edit): required fields, each field's limits, and no properties beyond the struct's own
    (the structs forbid unknown fields)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and hasattr(field_definition.type_, "doc_fields")

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct: Any = field_definition.type_
        properties = dict(schema.properties or {})
        for f, required in struct.doc_fields:
            if f.name in properties:
                one = field_schema(f, required)
                properties[f.name] = Schema(one_of=[one, Schema(type="null")]) if _nullable(properties[f.name]) else one
        for name, plain in PLAIN.items():  # the struct's own fields that are no field definition
            if name in properties and name not in {f.name for f, _ in struct.doc_fields}:
                properties[name] = Schema(one_of=[plain, Schema(type="null")]) if _nullable(properties[name]) else plain
        schema.properties = properties
        given = [] if getattr(struct, "doc_all_optional", False) else [f.name for f, req in struct.doc_fields if req]
        schema.required = sorted({*(schema.required or []), *given})
        schema.additional_properties = False
        return schema
