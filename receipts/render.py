"""The receipt as a printable HTML page and as a PDF, from one Jinja2 template.

Money, numbers and dates are formatted for the operator's locale with babel; the QR code
(segno, inline SVG) carries the receipt's own link. WeasyPrint turns the same HTML into the
PDF and may fetch nothing: the template is self-contained, and its URL fetcher refuses
every URL, so a receipt cannot make the server reach out anywhere.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.money import currency_decimals, minor_to_decimal
from receipts.document import CreditNote, Receipt

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
)


class Formatter:
    """The template's formatting helpers, bound to one receipt's currency and locale."""

    def __init__(self, currency: str, locale: str) -> None:
        self.currency, self.locale = currency, locale

    def money(self, minor: int) -> str:
        amount = minor_to_decimal(minor, currency_decimals(self.currency))
        return str(format_currency(amount, self.currency, locale=self.locale))

    def unit_price(self, major: Decimal) -> str:
        # Prices per kWh or minute may be fractions of a cent: up to 4 decimals.
        pattern = "#,##0.00## ¤"
        return str(
            format_currency(
                major, self.currency, pattern, locale=self.locale, currency_digits=False
            )
        )

    def number(self, value: Decimal) -> str:
        return str(format_decimal(value, format="#,##0.###", locale=self.locale))

    def percent(self, rate: Decimal) -> str:
        return str(format_percent(rate, format="#,##0.##%", locale=self.locale))

    def when(self, at: datetime | None) -> str:
        if at is None:
            return "-"
        return str(format_datetime(at, "medium", tzinfo=at.tzinfo, locale=self.locale))


def qr_svg(url: str) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=3, border=2))


def render_html(receipt: Receipt, credit_notes: list[CreditNote], link: str) -> str:
    context: dict[str, Any] = {
        "r": receipt,
        "credit_notes": credit_notes,
        "f": Formatter(receipt.currency, receipt.locale),
        "qr": qr_svg(link),
        "link": link,
    }
    return _env.get_template("receipt.html.j2").render(context)


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"receipts fetch nothing ({url})")


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot load its system libraries (pango): install them (docs/receipts.md)."""


def pdf_unavailable_reason() -> str | None:
    try:
        import weasyprint  # noqa: F401  (loads pango, ~0.5 s the first time)
    except (ImportError, OSError) as exc:
        return f"WeasyPrint cannot load (pango missing?): {exc}"
    return None


def render_pdf(html: str) -> bytes:
    reason = pdf_unavailable_reason()
    if reason is not None:
        raise PdfUnavailable(reason)
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, url_fetcher=_refuse).write_pdf()
    return pdf
