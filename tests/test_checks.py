"""The checks of a save that the schema cannot make, on their own."""

import decimal

import pytest

from engine.errors import RecordInvalid
from engine.records.checks import decimal_places

NUMBERS = [0, 7, 100, -3, 1.0, 100.0, 1.5, 0.1, 0.25, -12.75, 12.345, 123456789.123]
NUMBERS += [1e20, 1e-7, 1.23e-5, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]


@pytest.mark.parametrize("number", NUMBERS)
def test_decimal_places_are_those_of_the_number_as_json_wrote_it(number):
    as_decimal = -decimal.Decimal(str(number)).normalize().as_tuple().exponent
    assert decimal_places(number) == max(as_decimal, 0)


def test_an_amount_within_its_places_is_kept(service):
    saved = service.create("t", "account", {"name": "Acme", "credit_limit": 10.5}, "ann")
    assert saved["credit_limit"] == 10.5


@pytest.mark.parametrize("amount", [10.125, 1e-7, 0.1 + 0.2])
def test_an_amount_with_more_places_than_its_currency_has_is_refused(service, amount):
    with pytest.raises(RecordInvalid) as raised:
        service.create("t", "account", {"name": "Acme", "credit_limit": amount}, "ann")
    assert [(e.field, e.code) for e in raised.value.errors] == [("credit_limit", "precision")]
