"""The transactional mails render without Jinja (`ecrm.mail.plain_templates`) exactly as Jinja
rendered them (`ecrm.mail.templating.package_templates`): every template of
functions/mailing/templates, with values that need escaping, and a template that needs more
than substitutions is refused rather than rendered differently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, StrictUndefined, UndefinedError, select_autoescape
from markupsafe import escape

from ecrm.mail import plain_templates, templating
from tests.conftest import ROOT

TEMPLATES = sorted(p.name for p in (ROOT / "functions" / "mailing" / "templates").iterdir())
NAMES = ("form_title", "confirm_url", "sign_in_url", "verify_url")
VALUES: list[Any] = [
    "Ann & <Co> \"quoted\" 'single'",
    "https://example.com/confirm?token=a.b&x=<1>#top",
    "Zoë's ✓ news",
    7,
    None,
    "",
]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("value", VALUES)
def test_every_mail_renders_as_jinja_renders_it(name: str, value: Any) -> None:
    context = dict.fromkeys(NAMES, value) | {
        "valid_days": 7,
        "valid_hours": 24,
        "valid_minutes": 15,
    }
    jinja = templating.package_templates("mailing").get_template(name).render(context)
    assert plain_templates.render("mailing", name, context) == jinja


SOURCES = [
    "Hello {{ name }}!\n",
    "{{name}}{{ name }}\r\nnext\r\n\r\n",
    "no substitution, no newline",
    "\n",
    "",
    "}} %} #} are text",
]


@pytest.mark.parametrize("source", SOURCES)
def test_a_source_renders_as_jinja_renders_it(source: str) -> None:
    jinja = Environment(  # as templating.package_templates sets it up
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    expected = jinja.from_string(source).render(name="<b>&</b>")
    parts = plain_templates.parse(source)
    rendered = "".join(
        part if index % 2 == 0 else str(escape("<b>&</b>")) for index, part in enumerate(parts)
    )
    assert rendered == expected


@pytest.mark.parametrize(
    "source",
    [
        "{% if name %}x{% endif %}",
        "{{ name|upper }}",
        "{{- name }}",
        "{# a comment #}",
        "{{ contact.name }}",
    ],
)
def test_a_template_with_more_than_substitutions_is_refused(source: str) -> None:
    with pytest.raises(plain_templates.NotPlain):
        plain_templates.parse(source)


def test_a_missing_value_is_an_error_as_with_jinja() -> None:
    with pytest.raises(UndefinedError):
        templating.package_templates("mailing").get_template("confirm.txt").render()
    with pytest.raises(KeyError, match="form_title"):
        plain_templates.render("mailing", "confirm.txt", {})


def test_the_mails_are_rendered_without_jinja(tmp_path: Path) -> None:
    """The transactional mail function no longer imports Jinja (tests/packaging checks the
    built function); here, its renderer does not."""
    script = (
        "import sys; sys.path[:0] = [{shared!r}, {functions!r}]\n"
        "from mailing.transactional import render\n"
        "mail = render('confirm', {{'form_title': 'T', 'confirm_url': 'u', 'valid_days': 7}})\n"
        "assert 'T' in mail.subject\n"
        "assert 'jinja2' not in sys.modules, 'Jinja was imported'\n"
    ).format(shared=str(ROOT / "layers" / "shared"), functions=str(ROOT / "functions"))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
