"""The base of every form: Flask-WTF's form that refuses a NUL byte with an error on its field.

PostgreSQL cannot store NUL in text, and no person types one; refusing it before any other
validator runs keeps it out of every query. Forms import ``FlaskForm`` from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask_wtf
from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField
from wtforms.fields.choices import SelectFieldBase

from avestavard.errors import ValidationFailed


def _leaf_fields(fields: Any) -> Iterator[Field]:
    for field in fields:
        inner = getattr(field, "entries", None) or getattr(field, "form", None)
        if inner is not None and not isinstance(inner, str):
            yield from _leaf_fields(inner)
        else:
            yield field


def has_nul(values: Any) -> bool:
    """True when any submitted value of a field holds a NUL character."""
    return any(isinstance(v, str) and "\x00" in v for v in values or ())


class FlaskForm(flask_wtf.FlaskForm):
    """A Flask-WTF form whose fields refuse NUL bytes before any other check runs.

    Its hidden CSRF field renders without an id: a page with several forms would otherwise
    repeat ``id="csrf_token"``, and nothing refers to the field by id.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        csrf = self._fields.get(self.meta.csrf_field_name)
        if csrf is not None:
            csrf.render_kw = {**(csrf.render_kw or {}), "id": False}

    def validate(self, extra_validators: Any = None) -> bool:
        """Flag every field that received a NUL; otherwise validate as usual.

        A choice of only spaces is no choice: WTForms' ``Optional`` lets it through without
        the check against the choices, so it is emptied here rather than reaching the views.
        """
        with_nul = [f for f in _leaf_fields(self) if has_nul(getattr(f, "raw_data", None))]
        if with_nul:
            for field in with_nul:
                field.errors = [str(_l("Texten innehåller ett otillåtet tecken."))]
            return False
        valid = bool(super().validate(extra_validators=extra_validators))
        for field in _leaf_fields(self):
            data = field.data
            if isinstance(field, SelectFieldBase) and isinstance(data, str) and not data.strip():
                field.data = ""
        return valid


class CsrfOnlyForm(FlaskForm):
    """A form with only the CSRF token: a button that changes something, or a form whose fields
    are rendered elsewhere (the registration form as a first visitor sees it)."""


def show_service_errors(form: Any, exc: ValidationFailed) -> bool:
    """Put a service's field errors next to the fields they name, after what the form found.

    Returns whether any was shown: an error naming no field of the form is the caller's to show
    (a flash message). The caller rolls the session back.
    """
    shown = False
    for name, message in exc.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            shown = True
    return shown


# The largest id a table holds (PostgreSQL's integer); a larger number names no record.
DATABASE_INT_MAX = 2**31 - 1


def record_id(value: str | None) -> int | None:
    """An id posted in a form or named in a query string, or None when it cannot be one.

    ASCII digits only (``str.isdigit`` also accepts ``①`` and ``²``, which ``int`` refuses) and
    at most :data:`DATABASE_INT_MAX`, so the id never makes the database refuse the query.
    """
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= DATABASE_INT_MAX else None


def page_number(value: str | None) -> int:
    """A page of a list from the query string: 1 when missing or not a usable number."""
    return max(1, min(record_id(value) or 1, 100_000))


WTFORMS_NOT_AN_INTEGER = "Not a valid integer value."


class WholeNumberField(IntegerField):
    """An integer field that reads at most ten digits: a longer number is an error next to the
    field like any other text that is not a number (WTForms' NumberRange cannot compare a huge
    integer, and no count or id here comes near ten digits)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Refuse a number of more than ten digits before WTForms reads it."""
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > 10:
            self.data = None
            # WTForms' own words for a value that is not a number, in WTForms' translations
            raise ValueError(self.gettext(WTFORMS_NOT_AN_INTEGER))
        super().process_formdata(valuelist)


def stripped(value: Any) -> Any:
    """A field filter: the submitted text without surrounding whitespace (a choice of only
    spaces is then no choice, as ``Optional`` already treats it, not a value to store)."""
    return value.strip() if isinstance(value, str) else value


def show_service_error(field: Field, exc: ValidationFailed) -> None:
    """Put a service's error for one field under it: its message for that field, else the
    service's general message (a form with one field that a service checks again)."""
    field.errors = [*field.errors, exc.errors.get(field.name, exc.message)]
