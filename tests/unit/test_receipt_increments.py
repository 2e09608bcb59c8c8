"""The receipt's page (and so its PDF, rendered from it) shows each increment of the hold."""

from __future__ import annotations

from core.money import Money
from receipts.build import build_receipt
from receipts.render import render_html
from tests.ledger.samples import operator, receipt_input

TITLE = "First hold, then each increment"


def _page(increments: list[int]) -> str:
    inp = receipt_input()
    extras = [Money(amount_minor=m, currency="EUR") for m in increments]
    total = Money(amount_minor=1500 + sum(increments), currency="EUR")  # a €15 first hold
    grown = inp.authorization.model_copy(update={"amount": total})
    inp = inp.model_copy(update={"increments": extras, "authorization": grown})
    page = render_html(build_receipt(inp, operator(), 1), [], "https://example.test/r/1")
    return page.replace("\xa0", " ")  # babel separates amount and sign with a no-break space


def test_the_page_lists_the_first_hold_and_each_increment() -> None:
    page = _page([2500, 1500])
    assert "<dt>Held on the card</dt><dd>55,00 €</dd>" in page  # da_DK, the operator's locale
    row = page.split(TITLE, 1)[1].split("</dd>", 1)[0]
    assert row.endswith("<dd>15,00 € + 25,00 € + 15,00 €")


def test_without_increments_the_page_is_as_before() -> None:
    assert TITLE not in _page([])
