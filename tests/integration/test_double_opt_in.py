"""Double opt-in: the stream sends the confirmation mail; the link confirms, once."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecrm.platform import keys, tokens
from ecrm.platform.records import AllRecordsFailed
from ecrm.platform.settings import settings
from tests import events
from tests.conftest import reset_caches, table_items
from tests.integration.conftest import Submit, link_in, sent_mail, valid_body

CONTACT = keys.contact(keys.contact_id_for("ann@example.com"))


def stored(key: dict[str, str]) -> dict[str, Any]:
    return next(i for i in table_items() if i["pk"] == key["pk"] and i["sk"] == key["sk"])


def deliver_new_interactions() -> dict[str, Any]:
    """Hand every form_submitted item to the mail function as one stream batch."""
    from mailing.transactional import lambda_handler

    images = [i for i in table_items() if i.get("type") == "form_submitted"]
    return lambda_handler(events.stream(*images), events.LambdaContext())


def confirm(token: str, method: str = "POST") -> dict[str, Any]:
    from capture.app import lambda_handler

    event = events.api(method, "/confirm/{token}", {"token": token})
    return lambda_handler(event, events.LambdaContext())


def token_of(link: str) -> str:
    return link.rsplit("/confirm/", 1)[1]


def test_pending_submission_gets_one_confirmation_mail_with_list_free_headers(
    submit: Submit,
) -> None:
    submit(valid_body())
    assert deliver_new_interactions() == {"batchItemFailures": []}

    [message] = sent_mail()
    assert message["To"] == "ann@example.com"
    assert message["From"] == "ecrm <hello@example.com>"
    assert "List-Unsubscribe" not in message  # transactional, not bulk
    assert link_in(message).startswith("https://forms.example.com/confirm/")
    html = message.get_body(("html",))
    assert html is not None and "The ecrm newsletter" in html.get_content()


def test_redelivered_stream_batch_sends_nothing_twice(submit: Submit) -> None:
    submit(valid_body())
    deliver_new_interactions()
    deliver_new_interactions()

    assert len(sent_mail()) == 1
    [ledger] = [i for i in table_items() if i.get("type") == "transactional_mail"]
    assert ledger["state"] == "sent" and ledger["attempts"] == 2


def test_the_link_page_changes_nothing_and_the_button_confirms(submit: Submit) -> None:
    submit(valid_body())
    deliver_new_interactions()
    token = token_of(link_in(sent_mail()[0]))

    page = confirm(token, "GET")
    assert page["statusCode"] == 200 and 'id="confirm"' in page["body"]
    assert stored(CONTACT)["status"] == "pending"

    done = confirm(token)
    assert done["statusCode"] == 200 and 'id="confirmed"' in done["body"]
    contact = stored(CONTACT)
    assert contact["status"] == "subscribed" and "confirmed_at" in contact
    [consent] = [i for i in table_items() if i.get("type") == "consent"]
    assert consent["confirmed_at"] == contact["confirmed_at"]
    timeline = sorted(i["sk"] for i in table_items() if i["sk"].startswith("EVENT#"))
    assert [stored({"pk": CONTACT["pk"], "sk": sk})["type"] for sk in timeline] == [
        "form_submitted",
        "confirmed",
    ]


def test_a_used_link_says_already_subscribed_calmly_and_changes_nothing(submit: Submit) -> None:
    submit(valid_body())
    deliver_new_interactions()
    token = token_of(link_in(sent_mail()[0]))
    confirm(token)
    before = table_items()

    again, opened = confirm(token), confirm(token, "GET")

    for page in (again, opened):  # clicked again, or the link opened again
        assert page["statusCode"] == 200
        assert "You're already subscribed" in page["body"] and 'id="confirm"' not in page["body"]
        assert 'class="problem"' not in page["body"]  # neutral, not an error in red
    assert table_items() == before


def test_a_used_link_is_refused_once_its_subscription_ended(submit: Submit) -> None:
    """Unsubscribed since (or left the topic): an old link is no way back, and says so."""
    from ecrm.platform import store

    submit(valid_body())
    deliver_new_interactions()
    token = token_of(link_in(sent_mail()[0]))
    confirm(token)
    store.write(
        store.Update(
            CONTACT,
            "SET #s = :u REMOVE topics",
            names={"#s": "status"},
            values={":u": "unsubscribed"},
        )
    )
    before = table_items()

    again, opened = confirm(token), confirm(token, "GET")

    assert again["statusCode"] == 409 and "already used" in again["body"]
    assert opened["statusCode"] == 200 and 'id="confirm"' in opened["body"]  # only POST tells
    assert "already subscribed" not in again["body"] + opened["body"]
    assert table_items() == before


@pytest.mark.parametrize("damage", ["tamper", "truncate", "wrong_purpose", "expired"])
def test_a_bad_link_is_401_with_a_reason_and_changes_nothing(submit: Submit, damage: str) -> None:
    submit(valid_body())
    deliver_new_interactions()
    token = token_of(link_in(sent_mail()[0]))
    contact_id = keys.contact_id_for("ann@example.com")
    bad = {
        "tamper": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "truncate": token.split(".")[0],
        "wrong_purpose": tokens.issue("unsubscribe", contact_id),
        "expired": tokens.issue("confirm", contact_id, "", ttl_seconds=-10),
    }[damage]
    before = table_items()

    response = confirm(bad)

    assert response["statusCode"] == 401
    assert table_items() == before


def test_links_signed_before_a_key_rotation_still_work(submit: Submit) -> None:
    submit(valid_body())
    deliver_new_interactions()
    token = token_of(link_in(sent_mail()[0]))

    # docs/deploy.md, "Rotating the token signing key": a new version of the parameter.
    boto3.client("ssm").put_parameter(
        Name=settings().token_key_parameter,
        Value="rotated" * 9,
        Type="SecureString",
        Overwrite=True,
    )
    tokens.keyring.forget()

    assert confirm(token)["statusCode"] == 200
    assert tokens.verify(tokens.issue("confirm", "x"), "confirm").subject == "x"


def test_a_confirmed_contact_gets_no_confirmation_mail_for_a_later_submission(
    submit: Submit,
) -> None:
    submit(valid_body())
    deliver_new_interactions()
    confirm(token_of(link_in(sent_mail()[0])))

    submit(valid_body(first_name="Again"))
    deliver_new_interactions()

    assert len(sent_mail()) == 1
    assert stored(CONTACT)["status"] == "subscribed"


def test_ses_throttling_fails_only_that_record_and_a_retry_sends_it(
    submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrm.platform import aws

    submit(valid_body())
    submit(valid_body("bob@example.com"))
    client = aws.sesv2()
    real = client.send_email
    calls = {"n": 0}

    def throttled(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail"
            )
        return real(**kwargs)

    monkeypatch.setattr(client, "send_email", throttled)
    first = deliver_new_interactions()
    assert len(first["batchItemFailures"]) == 1 and len(sent_mail()) == 1

    assert deliver_new_interactions() == {"batchItemFailures": []}
    assert sorted(m["To"] for m in sent_mail()) == ["ann@example.com", "bob@example.com"]


def test_crash_after_the_ledger_claim_resends_on_redelivery(
    submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim is written, then the process dies before SES answers: nothing is lost."""
    from ecrm.mail import outbound

    submit(valid_body())
    real_send = outbound.send

    def crash(message: Any) -> str:
        raise RuntimeError("sandbox died")

    monkeypatch.setattr(outbound, "send", crash)
    with pytest.raises(AllRecordsFailed):  # every record failed: Lambda retries the batch
        deliver_new_interactions()
    monkeypatch.setattr(outbound, "send", real_send)

    deliver_new_interactions()
    assert len(sent_mail()) == 1


def test_suppressed_address_gets_no_confirmation(submit: Submit) -> None:
    submit(valid_body())
    boto3.client("dynamodb").put_item(
        TableName=settings().table_name,
        Item={k: {"S": v} for k, v in keys.suppression("ann@example.com").items()},
    )
    reset_caches()
    deliver_new_interactions()
    assert sent_mail() == []


def test_the_confirmation_mail_is_never_held_by_quiet_hours_nor_capped(submit: Submit) -> None:
    """Transactional mail: the send policy (an hour of quiet around now, a full cap) is for
    marketing mail only."""
    from datetime import UTC, datetime, timedelta

    from ecrm.mail import send_policy
    from ecrm.platform import store

    now = datetime.now(UTC)
    hours = {
        "enabled": True,
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=1)).strftime("%H:%M"),
        "time_zone": "UTC",
    }
    cap = {"enabled": True, "max_mails": 1, "period_days": 7}
    body = {"frequency_cap": cap, "quiet_hours": hours}
    send_policy.save(send_policy.SendPolicyIn.model_validate(body), "m1")
    full = {"c:earlier": int(now.timestamp())}
    record = {
        **keys.marketing_mails(keys.contact_id_of(CONTACT["pk"])),
        "sends": full,
        "version": 1,
    }
    store.write(store.Put(record))

    submit(valid_body())
    assert deliver_new_interactions() == {"batchItemFailures": []}
    [message] = sent_mail()
    assert message["To"] == "ann@example.com"
