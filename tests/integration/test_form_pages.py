"""The pages a plain HTML form gets back (no script on the visitor's side): named after the form,
its problems under the form's own labels, and a link back to the site that only the stored
definition names (never the request: no open redirect). Markup in a title or label is text."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.contacts import form_view, forms
from tests.integration.conftest import Submit

PLAIN = {"Content-Type": "application/x-www-form-urlencoded"}
HOSTILE = "<script>alert(1)</script>"
SITE = "https://www.example.com/news"
BACK = f'<a id="back" href="{SITE}">Back to www.example.com</a>'


def save(demo_form: forms.Form, **changes: Any) -> None:
    forms.save(forms.Form.model_validate({**demo_form.model_dump(), **changes}))
    forms.forget_cached()


def test_the_thank_you_page_is_named_after_the_form_and_links_back_to_its_site(
    submit: Submit, demo_form: forms.Form
) -> None:
    save(demo_form, site_url=SITE)
    page = submit("email=bob%40example.com&consent=on", headers=PLAIN)

    assert page["statusCode"] == 200
    body = page["body"]
    assert f"<title>Thank you · {demo_form.title}</title>" in body
    assert f'<header class="site"><p>{demo_form.title}</p></header>' in body
    assert f'<h1 id="thanks">{demo_form.thank_you}</h1>' in body
    assert BACK in body


def test_the_problem_page_names_fields_by_their_labels_and_links_back(
    submit: Submit, demo_form: forms.Form
) -> None:
    save(demo_form, site_url=SITE)
    page = submit("email=nope&first_name=Bob", headers=PLAIN)

    assert page["statusCode"] == 422
    body = page["body"]
    assert "<li><strong>Email</strong>:" in body  # the form's label, not the field's name
    assert "<li><strong>Consent</strong>: Please give your consent to subscribe.</li>" in body
    assert "<strong>email</strong>" not in body and "<strong>consent</strong>" not in body
    assert "back button takes you to the form with what you typed, to correct them" in body
    assert BACK in body
    assert demo_form.title in body


def test_without_a_site_url_the_link_goes_to_the_first_allowed_origin_or_nowhere(
    submit: Submit, demo_form: forms.Form
) -> None:
    save(demo_form, site_url=None, allowed_origins=["https://shop.example.org"])
    page = submit("email=bob%40example.com&consent=on", headers=PLAIN)
    assert (
        '<a id="back" href="https://shop.example.org/">Back to shop.example.org</a>' in page["body"]
    )

    save(demo_form, site_url=None, allowed_origins=[])
    page = submit("email=bob%40example.com&consent=on", headers=PLAIN)
    assert 'id="back"' not in page["body"]


def test_the_link_back_never_comes_from_the_request(submit: Submit, demo_form: forms.Form) -> None:
    save(demo_form, site_url=SITE)
    evil = "https://evil.example.net/phish"
    body = f"email=nope&page={evil}&referrer={evil}&site_url={evil}&redirect={evil}"
    headers = {**PLAIN, "Referer": evil, "Origin": "https://www.example.com"}

    page = submit(body, headers=headers)

    assert page["statusCode"] == 422
    assert "evil.example.net" not in page["body"]
    assert BACK in page["body"]


def test_markup_in_a_title_or_a_label_is_shown_as_text(
    submit: Submit, demo_form: forms.Form
) -> None:
    fields = [f.model_dump() for f in demo_form.fields]
    fields[0]["label"] = f"Email {HOSTILE}"
    save(demo_form, title=f"News {HOSTILE}", fields=fields)

    page = submit("email=nope&consent=on", headers=PLAIN)

    body = page["body"]
    assert "<script>" not in body
    assert "News &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<strong>Email &lt;script&gt;alert(1)&lt;/script&gt;</strong>" in body


def test_a_site_url_is_an_absolute_web_address(demo_form: forms.Form) -> None:
    data = demo_form.model_dump()
    form = forms.Form.model_validate({**data, "site_url": "https://www.example.com/news"})
    assert form_view.FormView.from_item(form.to_item()).site() == "https://www.example.com/news"
    for refused in ("javascript:alert(1)", "//evil.example.net/", "data:text/html,x", "/relative"):
        with pytest.raises(ValueError, match="site_url"):
            forms.Form.model_validate({**data, "site_url": refused})
