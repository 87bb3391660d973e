"""The console's Scoring screen in Chromium against `ecrm serve`: a rule edited from the keyboard
is refused by the API's check at that rule, then saved as the next version with a new stage
threshold; a re-score is started and its progress followed to the end; the contacts per score
show as a chart beside the stages; a viewer sees no write control and a forced write is refused
by the API; accessible at 1280 and 390 px without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browsing import page_at
from tests.e2e.console import admin, assert_fits, confirmed_subscriber, sign_in_on

pytestmark = pytest.mark.e2e

PEOPLE = ("sid.scoring@acme.example", "sal.scoring@acme.example")
CLICKED = "#engagement-3-points"  # the default ruleset's fourth engagement rule: clicked


@pytest.fixture(scope="module")
def people(stack: Any) -> tuple[str, ...]:
    """Two confirmed subscribers, scored by the default ruleset."""
    for address in PEOPLE:
        confirmed_subscriber(stack, address)
    return PEOPLE


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "scoring", "Scoring", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def test_a_rule_is_refused_at_its_place_saved_as_a_version_and_applied_by_a_rescore(
    page: Page, stack: Any, people: tuple[str, ...]
) -> None:
    sign_in(page, stack)
    expect(page.locator("#ruleset-heading")).to_have_text("Ruleset version 0")
    expect(page.locator("#score-chart caption")).to_contain_text("(2 scored")
    expect(page.locator("#engagement-3-id")).to_have_value("clicked")

    # too many points: the API's check, as typing pauses, names the rule
    page.locator(CLICKED).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("5000")
    expect(page.locator("#engagement-3-error")).to_contain_text("points: Input should be less")
    expect(page.locator(CLICKED)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#engagement-2-error")).to_have_text("")
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    expect(page.locator("#ruleset-check")).to_have_text("Valid: saving makes it version 1.")
    expect(page.locator("#engagement-3-error")).to_have_text("")

    # the MQL threshold moved, then saved from the keyboard as version 1
    page.locator("#stages-2-at_least").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    page.get_by_role("button", name="Save as a new version").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ruleset-heading")).to_have_text("Ruleset version 1")
    expect(page.locator("#version-choice option").first).to_contain_text("Version 1")
    stored = admin(stack, "GET", "/admin/scoring").json()
    assert stored["version"] == 1 and stored["engagement"][3]["points"] == 8
    assert stored["stages"][2] == {"name": "mql", "at_least": 45}

    # a re-score, its progress followed from start to end
    page.evaluate(
        """() => { window.seen = [];
            new MutationObserver(() => window.seen.push(
              document.getElementById('rescore-state').textContent))
              .observe(document.getElementById('rescore-state'),
                       {childList: true, characterData: true, subtree: true}); }"""
    )
    page.get_by_role("button", name="Re-score every contact").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#rescore-state")).to_contain_text(
        "Done: version 1 applied", timeout=60_000
    )
    seen = page.evaluate("window.seen")
    assert seen[0].startswith("Re-scoring with version 1: 0 of 32 parts"), seen
    progress = page.locator("#rescore-progress")
    assert progress.evaluate("p => [p.value, p.max]") == [32, 32]
    expect(page.locator("#stage-thresholds [data-stage=mql] td")).to_have_text("45")
    expect(page.locator("#score-chart caption")).to_contain_text("(2 scored")


def test_a_viewer_reads_the_ruleset_with_no_write_control(
    page: Page, stack: Any, people: tuple[str, ...]
) -> None:
    sign_in(page, stack, "viewer")
    for name in ("Save as a new version", "Check", "Re-score every contact", "Add a fit rule"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name="Remove", exact=False)).to_have_count(0)
    expect(page.locator("#engagement-0-points")).not_to_be_editable()
    expect(page.locator("#score-chart")).to_be_visible()
    forced = page.evaluate(
        """async () => {
            const token = JSON.parse(sessionStorage.getItem('ecrm-console-session')).id;
            const answer = await fetch('/admin/scoring/rescore', {method: 'POST',
              headers: {Authorization: 'Bearer ' + token}});
            return {status: answer.status, body: await answer.json()};
        }"""
    )
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_scoring_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, people: tuple[str, ...], width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        expect(page.locator("#score-chart")).to_be_visible()
        assert_fits(page, width, "console-scoring")
