"""``flask --app wsgi create-admin EMAIL``: the first administrator, or promoting someone."""

import pytest
from werkzeug.security import check_password_hash

STRONG = "violet compass harbour 7"


@pytest.fixture
def create_admin(runner):
    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=["create-admin", *args], input=input)

    return invoke


def test_creates_a_verified_administrator(create_admin, stored_user):
    result = create_admin("  Boss@Socitm.example ", input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "Created administrator boss@socitm.example." in result.output
    admin = stored_user("boss@socitm.example")
    assert admin.is_admin
    assert admin.email_verified
    assert admin.name == "Administrator"
    assert check_password_hash(admin.password_hash, STRONG)


def test_takes_a_name(create_admin, stored_user):
    result = create_admin(
        "boss@socitm.example", "--name", "Ada Byron", input=f"{STRONG}\n{STRONG}\n"
    )

    assert result.exit_code == 0, result.output
    assert stored_user("boss@socitm.example").name == "Ada Byron"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("pw", "Password must be 10 characters or more"),
        ("password123", "Choose a password that is harder to guess"),
        ("boss@socitm.example", "Choose a password that is harder to guess"),
    ],
)
def test_refuses_a_weak_password(create_admin, user_count, password, problem):
    result = create_admin("boss@socitm.example", input=f"{password}\n{password}\n")

    assert result.exit_code != 0
    assert problem in result.output
    assert user_count() == 0


def test_asks_again_when_the_confirmation_differs(create_admin, user_count):
    result = create_admin("boss@socitm.example", input=f"{STRONG}\n{STRONG}x\n")

    assert result.exit_code != 0
    assert "do not match" in result.output
    assert user_count() == 0


@pytest.mark.parametrize(
    "email", ["not-an-email", "", "a" * 250 + "@socitm.example"], ids=["no-at", "empty", "overlong"]
)
def test_refuses_something_that_is_not_an_email_address(create_admin, user_count, email):
    result = create_admin(email, input=f"{STRONG}\n{STRONG}\n")

    assert result.exit_code == 2
    assert "enter a full email address" in result.output
    assert user_count() == 0


def test_promotes_an_existing_person_without_asking_for_a_password(
    create_admin, create_user, stored_user
):
    person = create_user(email="grace@example.gov.uk")

    result = create_admin("Grace@Example.gov.uk", input="")

    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert "Updated administrator grace@example.gov.uk." in result.output
    promoted = stored_user(person.email)
    assert promoted.is_admin
    assert promoted.password_hash == person.password_hash
    assert promoted.name == person.name
