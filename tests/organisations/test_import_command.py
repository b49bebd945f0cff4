"""``flask import-subscribers FILE.csv [--dry-run]``."""

from tests.organisations.helpers import row_counts, subscribers_csv

LEEDS = "Leeds City Council,council,leeds.gov.uk,2026-04-01,2027-03-31,ann@partner.org.uk"
NOTHING = {"Organisation": 0, "OrganisationDomain": 0, "InsightSubscription": 0, "NamedMember": 0}
ONE_OF_EACH = dict.fromkeys(NOTHING, 1)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return row_counts()


def test_import_writes_the_file_and_lists_the_changes(app, runner, write_csv):
    path = write_csv(subscribers_csv(LEEDS))

    result = runner.invoke(args=["import-subscribers", str(path)])

    assert result.exit_code == 0, result.output
    assert f"Imported {path}:" in result.output
    assert "  Add organisation Leeds City Council (council)" in result.output
    assert "  Add named member ann@partner.org.uk to Leeds City Council" in result.output
    assert _counts(app) == ONE_OF_EACH


def test_importing_again_says_there_is_nothing_to_change(app, runner, write_csv):
    path = write_csv(subscribers_csv(LEEDS))
    runner.invoke(args=["import-subscribers", str(path)])

    result = runner.invoke(args=["import-subscribers", str(path)])

    assert result.exit_code == 0, result.output
    assert "Nothing to change" in result.output
    assert _counts(app) == ONE_OF_EACH


def test_dry_run_lists_the_changes_and_writes_nothing(app, runner, write_csv):
    path = write_csv(subscribers_csv(LEEDS))

    result = runner.invoke(args=["import-subscribers", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written" in result.output
    assert "  Add domain leeds.gov.uk to Leeds City Council" in result.output
    assert _counts(app) == NOTHING


def test_a_file_with_a_bad_line_is_rejected_and_nothing_is_written(app, runner, write_csv):
    path = write_csv(subscribers_csv(LEEDS, "Hull,council,hullcc.gov.uk,2026-04-01,2026-03-01,"))

    result = runner.invoke(args=["import-subscribers", str(path)])

    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert "  Line 3: end date 2026-03-01 is before start date 2026-04-01" in result.stderr
    assert _counts(app) == NOTHING


def test_a_file_that_is_not_utf8_is_rejected(app, runner, write_csv):
    path = write_csv(subscribers_csv("Café,council,,2026-04-01,2027-03-31,").encode("latin-1"))

    result = runner.invoke(args=["import-subscribers", str(path)])

    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert _counts(app) == NOTHING


def test_a_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(args=["import-subscribers", str(tmp_path / "nowhere.csv")])

    assert result.exit_code == 2
    assert "No such file" in result.output
