"""The password rules on their own: length, common passwords, and the person's own details."""

import pytest

from portal.accounts.passwords import MAX_LENGTH, password_problem

ADA = ["ada.lovelace@example.gov.uk", "Ada Lovelace", "Example Borough Council"]


@pytest.mark.parametrize(
    "password",
    [
        "plum tractor lantern 42",
        "Xq7#mv2!Lp",
        "violet compass harbour 7",
        "w" + "ord " * 31 + "xyz",
    ],
)
def test_strong_passwords_pass(password):
    assert password_problem(password, 10, ADA) is None


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "Password must be 10 characters or more"),
        ("Xq7#mv2!L", "Password must be 10 characters or more"),
        ("x" * (MAX_LENGTH + 1), f"Password must be {MAX_LENGTH} characters or fewer"),
        ("password123", "Choose a password that is harder to guess"),
        ("qwertyuiop", "Choose a password that is harder to guess"),
        ("1234567890", "Choose a password that is harder to guess"),
        ("aaaaaaaaaaaa", "Choose a password that is harder to guess"),
        ("          ", "Choose a password that is harder to guess"),
    ],
)
def test_short_long_and_common_passwords_fail(password, problem):
    assert password_problem(password, 10, []).startswith(problem)


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("ada.lovelace@example.gov.uk", id="the-whole-address"),
        pytest.param("ADA.LOVELACE@EXAMPLE.GOV.UK", id="the-address-in-capitals"),
        pytest.param("ada.lovelace", id="the-mailbox"),
        pytest.param("adalovelace", id="the-name-run-together"),
        pytest.param("Ada Lovelace 1", id="the-name-and-a-digit"),
        pytest.param("lovelaceada", id="the-name-backwards"),
        pytest.param("Example Borough Council", id="the-organisation"),
    ],
)
def test_passwords_made_of_the_persons_own_details_fail(password):
    assert password_problem(password, 10, ADA).startswith(
        "Choose a password that is harder to guess"
    )


def test_the_minimum_length_is_a_parameter():
    assert password_problem("Xq7#mv2!Lp", 12, []) == "Password must be 12 characters or more"


def test_the_same_details_are_fine_for_someone_else():
    assert password_problem("ada.lovelace@example.gov.uk", 10, []) is None
