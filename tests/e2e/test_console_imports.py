"""The console's Imports screen in Chromium against `ecrm serve`: a CSV file of 50 contacts with
2 bad rows, chosen and imported from the keyboard, its columns mapped to the profile's fields
with its first rows shown, uploaded from the browser to the presigned URL (moto's S3, allowed
by the bucket's CORS rule for the console's origin), followed with a progress bar to the end;
the 2 bad rows shown by line and downloaded as CSV; a refusal shown next to its control; a
viewer is offered nothing and a forced import is refused; accessible at 1280 and 390 px
without sideways scrolling."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import (
    BAD_LINES,
    SOURCE,
    admin,
    assert_fits,
    catch_file_choosers,
    choose,
    contacts_file,
    forced_write,
    import_chosen,
    sign_in_on,
)

pytestmark = pytest.mark.e2e


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    catch_file_choosers(page)
    sign_in_on(page, stack, "imports", "Imports", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def test_a_csv_of_50_contacts_is_imported_from_the_keyboard_and_its_2_bad_rows_shown_by_line(
    page: Page, stack: Any, tmp_path: Path
) -> None:
    path = contacts_file(tmp_path)
    sign_in(page, stack)
    choose(page, path)
    # the first rows, parsed in the browser, and each column's field guessed from its name
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("imp2@acme.example")
    expect(rows.first).to_contain_text("Acme, Inc.")  # a quoted comma is one value
    expect(page.get_by_label("Column “E-mail” fills")).to_have_value("email")
    expect(page.get_by_label("Column “First name” fills")).to_have_value("first_name")
    expect(page.get_by_label("Column “Notes” fills")).to_have_value("")
    # from the keyboard: Company -> company, the newsletter topic, the source, Import
    page.keyboard.press("Tab")
    expect(page.get_by_label("Column “E-mail” fills")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Column “Company” fills")).to_be_focused()
    page.keyboard.type("company")
    expect(page.get_by_label("Column “Company” fills")).to_have_value("company")
    for _ in range(3):  # past Notes and the rows shown
        page.keyboard.press("Tab")
    expect(page.get_by_label("The ecrm newsletter (newsletter)")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Where these people consented")).to_be_focused()
    page.keyboard.type(SOURCE)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Import")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#import-done")).to_be_focused(timeout=60_000)
    expect(page.locator("#import-done")).to_have_text("Imported")
    expect(page.locator("#import-progress")).to_have_attribute("value", "50")
    figures = page.locator("#import-figures")
    expect(figures.locator("div", has_text="Imported")).to_contain_text("48")
    expect(figures.locator("div", has_text="Bad rows")).to_contain_text("2")
    bad = page.locator("#bad-rows tbody tr")
    expect(bad).to_have_count(2)
    expect(bad.nth(0).locator("td").first).to_have_text(str(BAD_LINES[0]))
    expect(bad.nth(0)).to_contain_text("email")
    expect(bad.nth(1).locator("td").first).to_have_text(str(BAD_LINES[1]))
    expect(bad.nth(1)).to_contain_text("Expected 4 values, found 2")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the bad rows (CSV)").focus()
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "contacts.bad-rows.csv"
    got = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert got[0] == ["line", "errors", "E-mail", "First name", "Company", "Notes"]
    assert [row[0] for row in got[1:]] == [str(n) for n in BAD_LINES]
    assert got[1][2:] == ["not-an-address", "Name 12", "Acme, Inc.", "kept out"]
    assert got[2][2:] == ["imp40@acme.example", "Name 40"]

    found = admin(stack, "GET", "/admin/contacts", params={"email": "imp3@acme.example"}).json()
    assert found["profile"] == {"first_name": "Name 3", "company": "Acme, Inc."}
    assert found["topics"] == ["newsletter"]
    assert (
        admin(stack, "GET", "/admin/contacts", params={"email": "imp12@acme.example"}).status_code
        == 404
    )


def test_an_announcement_the_api_refuses_is_shown_next_to_its_control(
    page: Page, stack: Any, tmp_path: Path
) -> None:
    path = tmp_path / "few.csv"
    path.write_text("Name\nAnn\n")
    sign_in(page, stack)
    choose(page, path)
    page.get_by_role("button", name="Import").click()  # no source, no address column
    expect(page.locator("#import-source-error")).not_to_be_empty()
    expect(page.get_by_label("Where these people consented")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_label("Where these people consented").fill("A list")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-problem")).to_contain_text("email address")


def test_the_bucket_takes_an_upload_from_the_consoles_origin_only(stack: Any) -> None:
    """The local bucket answers the browser's preflight for the console's origin, and for no
    other site (the CORS rule of the template, for the local origin)."""
    job = admin(
        stack,
        "POST",
        "/admin/imports",
        json={"sha256": "ab" * 32, "size": 5, "filename": "x.csv", "consent_source": "x"},
    ).json()
    url = job["upload"]["url"]

    def preflight(origin: str) -> requests.Response:
        ask = {
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type,x-amz-checksum-sha256",
        }
        return requests.options(url, headers=ask, timeout=30)

    allowed = preflight(stack.api_url)
    assert allowed.status_code == 200
    assert allowed.headers.get("Access-Control-Allow-Origin") == stack.api_url
    assert allowed.headers.get("Access-Control-Allow-Methods") == "PUT"
    assert preflight("https://evil.example").status_code == 403  # a browser sends no PUT


def test_a_viewer_is_offered_no_import_and_a_forced_one_is_refused(page: Page, stack: Any) -> None:
    sign_in(page, stack, "viewer")
    expect(page.locator("#import-read-only")).to_be_visible()
    expect(page.locator("main input, main button, main select")).to_have_count(0)
    body = {"sha256": "cd" * 32, "size": 5, "filename": "x.csv", "consent_source": "x"}
    refused = forced_write(page, "POST", "/admin/imports", body)
    assert refused["status"] == 403 and refused["body"]["error"]["code"] == "forbidden"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_imports_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, tmp_path: Path, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        choose(page, contacts_file(tmp_path))
        assert_fits(page, width)  # the columns and first rows
        import_chosen(page)  # the same file as the first test's: that import again, its outcome
        assert_fits(page, width, "console-imports")
