"""What a marketer may write in a template: checked when saved against the contact schema,
with server-side template injection refused before it could ever be rendered."""

from __future__ import annotations

import pytest

from ecrm.mail.personalisation import (
    TemplateProblem,
    check,
    environment,
    render_context,
    text_from_html,
)

FIELDS = ["first_name", "company", "interests"]

# Payloads from public SSTI cheat sheets (Jinja2), plus the sandbox's own escape hatches.
SSTI = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ contact.__class__ }}",
    "{{ contact.first_name.__class__.__base__ }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ request.application.__globals__ }}",
    "{{ range(10**9) }}",
    "{{ 7*7 }}",
    "{{ 'a' * 100000000 }}",
    "{{ 9**9**9 }}",
    "{{ contact['__class__'] }}",
    "{{ contact|attr('__class__') }}",
    "{{ contact.first_name|safe }}",
    "{{ contact.first_name|format('%s') }}",
    "{{ contact.first_name.upper() }}",
    "{% set x = contact %}{{ x }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% for i in [1, 2] %}{% for j in [1, 2] %}x{% endfor %}{% endfor %}",
    "{% include 'secrets.html' %}",
    "{% import 'macros.html' as m %}",
    "{% from 'x' import y %}",
    "{% extends 'base.html' %}",
    "{% macro m() %}x{% endmacro %}{{ m() }}",
    "{% call m() %}x{% endcall %}",
    "{% filter upper %}{{ contact.first_name }}{% endfilter %}",
    "{% autoescape false %}{{ contact.first_name }}{% endautoescape %}",
    "{% with x = contact %}{{ x }}{% endwith %}",
    "{{ contact.first_name|replace(contact.company, 'x') }}",
    "{{ contact.first_name|truncate(length=5) }}",
]


@pytest.mark.parametrize("payload", SSTI)
def test_template_injection_is_refused_when_the_template_is_saved(payload: str) -> None:
    with pytest.raises(TemplateProblem):
        check("html", payload, FIELDS)


@pytest.mark.parametrize(
    ("source", "mentions"),
    [
        ("{{ contact.last_name }}", "contact.last_name"),
        ("{{ first_name }}", "first_name"),
        ("{{ campaign.sender }}", "campaign.sender"),
        ("{% if contact.vip %}x{% endif %}", "contact.vip"),
        ("{{ contact.items }}", "contact.items"),  # a dict method, never a field
        ("{{ unsubscribe_link }}", "unsubscribe_link"),
    ],
)
def test_an_undefined_variable_is_named_when_the_template_is_saved(
    source: str, mentions: str
) -> None:
    with pytest.raises(TemplateProblem) as raised:
        check("html", source, FIELDS)
    assert mentions in raised.value.message


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(TemplateProblem) as raised:
        check("subject", "Hi {{ contact.first_name ", FIELDS)
    assert raised.value.part == "subject" and "line 1" in raised.value.message


def test_what_a_marketer_writes_is_allowed_and_its_fields_are_known() -> None:
    source = (
        "{% if contact.first_name %}Hi {{ contact.first_name|title }}{% else %}Hello{% endif %},"
        "{% for i in contact.interests %}{{ loop.index }}. {{ i|upper }}{% endfor %}"
        "{{ contact.company|default('your team') ~ '!' }} {{ campaign.name }} {{ contact.email }}"
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a>{% raw %}{{ literal }}{% endraw %}'
    )
    found = check("html", source, FIELDS)
    assert found.contact_fields == {"first_name", "interests", "company", "email"}
    assert found.unsubscribe_url


def test_personal_data_is_escaped_in_html_and_left_as_is_in_text() -> None:
    contact = {"email": "a@example.org", "f_first_name": "<script>alert(1)</script> O'Brien"}
    context = render_context(
        contact, ["first_name"], unsubscribe_url="https://x/u/t", campaign={"name": "N"}
    )
    html = environment(True).from_string("<p>{{ contact.first_name }}</p>").render(context)
    text = environment(False).from_string("{{ contact.first_name }}").render(context)
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien</p>"
    assert text == "<script>alert(1)</script> O'Brien"


def test_a_field_the_contact_lacks_renders_empty_never_fails() -> None:
    context = render_context({"email": "a@example.org"}, FIELDS, unsubscribe_url="u", campaign={})
    rendered = environment(True).from_string("[{{ contact.company }}]").render(context)
    assert rendered == "[]"


def test_the_text_part_is_derived_from_the_html_with_links_spelled_out() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><h1>News &amp; views</h1>"
        "<p>Hello {{ contact.first_name }},</p><ul><li>one</li><li>two</li></ul>"
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
    )
    text = text_from_html(html)
    assert text == (
        "News & views\n\nHello {{ contact.first_name }},\n\n- one\n\n- two\n\n"
        "Unsubscribe ({{ unsubscribe_url }})\n"
    )
    assert check("text", text, FIELDS).unsubscribe_url
