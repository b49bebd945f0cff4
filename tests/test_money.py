import pytest

from portal.money import format_basis_points, format_pence


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (100, "£1.00"),
        (123_450, "£1,234.50"),
        (100_000_000, "£1,000,000.00"),
        (-500, "\u2212£5.00"),
    ],
)
def test_pence_are_shown_as_pounds(pence, shown):
    assert format_pence(pence) == shown


@pytest.mark.parametrize("not_pence", [1.5, "100", None, True])
def test_only_integer_pence_are_money(not_pence):
    with pytest.raises(TypeError):
        format_pence(not_pence)


@pytest.mark.parametrize(("not_pence", "named"), [(1.5, "float"), ("100", "str"), (True, "bool")])
def test_what_is_not_money_is_named(not_pence, named):
    with pytest.raises(TypeError, match=rf"^money is integer pence, not {named}$"):
        format_pence(not_pence)


@pytest.mark.parametrize(
    ("basis_points", "shown"),
    [
        (0, "0%"),
        (500, "5%"),
        (2000, "20%"),
        (10_000, "100%"),
        (1750, "17.5%"),
        (525, "5.25%"),
        (1705, "17.05%"),
        (50, "0.5%"),
        (5, "0.05%"),
    ],
)
def test_a_vat_rate_in_basis_points_is_shown_as_a_percentage_without_trailing_zeros(
    basis_points, shown
):
    assert format_basis_points(basis_points) == shown
