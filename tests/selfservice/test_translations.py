"""The self-service pages in French and German: the language chosen, the strings shown, the catalogs complete."""

from __future__ import annotations

import ast
import gettext
import html
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from customers.models import Customer
from selfservice.links import PURPOSE_PREFERENCES, PURPOSE_UNSUBSCRIBE, LinkScope, link_token
from tests.forms import read_form
from tests.selfservice.helpers import tampered

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "selfservice" / "locale"
TRANSLATED = ("fr", "de")

# Characteristic strings of the preference page, and their English originals.
PAGE_STRINGS = {
    "fr": {
        "Comment nous vous contactons": "How we reach you",
        "Enregistrer les préférences": "Save preferences",
        "Se désabonner de tout ce qui n'est pas essentiel": "Unsubscribe from everything that isn't essential",
        "Oui, envoyez-moi des SMS au": "Yes, send me text messages at",
        "Choisissez ce que vous envoie Acme Inc., et comment.": "Choose what Acme Inc. sends you, and how.",
        "Autres notifications": "Other notifications",
    },
    "de": {
        "Wie wir Sie erreichen": "How we reach you",
        "Einstellungen speichern": "Save preferences",
        "Von allem abmelden, was nicht wesentlich ist": "Unsubscribe from everything that isn't essential",
        "Ja, senden Sie mir SMS an": "Yes, send me text messages at",
        "Wählen Sie, was Acme Inc. Ihnen sendet und auf welchem Weg.": "Choose what Acme Inc. sends you, and how.",
        "Weitere Benachrichtigungen": "Other notifications",
    },
}


def speaking(customer: Customer, locale: str) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(locale=locale)
    return customer


def text_of(response) -> str:
    """The page's text as a reader sees it: entities decoded, French non-breaking spaces as spaces."""
    return html.unescape(response.content.decode()).replace("\u00a0", " ")


def assert_page_in(language: str, response) -> None:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == language
    text = text_of(response)
    assert f'<html lang="{language}">' in text
    for translated, original in PAGE_STRINGS[language].items():
        assert translated in text
        assert original not in text


# ------------------------------------------------------------------------------- which language


@pytest.mark.parametrize("locale", ["fr", "fr-FR", "fr_CA"])
def test_page_is_in_french_when_the_customer_locale_is_french(client, catalog, person, page_path, locale):
    speaking(person, locale)
    assert_page_in("fr", client.get(page_path))


def test_page_is_in_german_when_the_customer_locale_is_german(client, catalog, person, page_path):
    speaking(person, "de")
    assert_page_in("de", client.get(page_path))


def test_page_follows_the_browser_when_the_customer_has_no_locale(client, catalog, person, page_path):
    assert_page_in("de", client.get(page_path, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5"))


def test_customer_locale_wins_over_the_browser_when_both_are_known(client, catalog, person, page_path):
    speaking(person, "fr")
    assert_page_in("fr", client.get(page_path, HTTP_ACCEPT_LANGUAGE="de"))


def test_page_stays_in_english_when_neither_customer_nor_browser_speaks_a_shipped_language(
    client, catalog, person, page_path
):
    speaking(person, "es")
    response = client.get(page_path, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == "en"
    assert "How we reach you" in text_of(response)


# ------------------------------------------------------------------------------- what it says


def test_locked_and_blocked_notes_are_translated_when_the_page_is_french(client, catalog, person, page_path):
    Customer.objects.filter(pk=person.pk).update(locale="fr", phone="")
    text = text_of(client.get(page_path))
    assert "Envoi systématique : obligatoire pour votre compte." in text
    assert "Nous n'avons pas votre numéro de téléphone : nous ne pouvons donc pas vous envoyer de SMS." in text
    # A topic's email is one choice (issue 14 item 4), named for its topic (item 10).
    assert 'aria-label="E-mail pour « News and offers »"' in text and "Récapitulatif quotidien" in text
    assert "Email frequency" not in text and "Daily summary" not in text and " for News" not in text


def test_one_click_confirmation_is_in_french_when_the_customer_locale_is_french(person, unsubscribe_path):
    speaking(person, "fr")
    client = Client(enforce_csrf_checks=True)
    response = client.get(unsubscribe_path)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == "fr"
    text = text_of(response)
    assert "Se désabonner ?" in text
    assert "Acme Inc. ne vous enverra plus d'e-mails non essentiels." in text
    assert "Unsubscribe?" not in text and "will stop sending you" not in text

    done = client.post(unsubscribe_path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == HTTPStatus.OK
    assert done["Content-Language"] == "fr"
    text = text_of(done)
    assert "Votre désabonnement est confirmé" in text and "Gérer toutes vos préférences" in text
    assert "You're unsubscribed" not in text
    assert ">Annuler</button>" in text and ">Undo<" not in text

    undo = re.search(r'name="undo" value="([^"]+)"', done.content.decode()).group(1)
    undone = text_of(client.post(unsubscribe_path, {"action": "undo", "undo": undo}))
    assert "Vous êtes de nouveau abonné" in undone and "Votre désabonnement est annulé" in undone


def test_new_notes_of_issue_14_are_in_german_when_the_customer_locale_is_german(client, catalog, person, page_path):
    speaking(person, "de")
    form = read_form(client.get(page_path).content.decode(), index=1)
    client.post(page_path, {**form.fields, "action": "unsubscribe_all"})
    text = text_of(client.get(page_path))
    assert "Sie haben sich von allem abgemeldet, was nicht wesentlich ist." in text
    assert "die Nummer mit der Endung 0123" in text
    assert "(Rest ausgeblendet) at example.com" in text
    assert 'aria-label="E-Mail für „Order shipped“"' in text
    assert "You unsubscribed" not in text and " for Order shipped" not in text


def test_one_click_names_the_channel_as_german_writes_it_when_the_link_is_scoped(client, catalog, person):
    speaking(person, "de")
    scope = LinkScope(kind="category", target_id=catalog.news.pk, channel="email")
    path = f"/u/{link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE, scope=scope)}/"
    text = text_of(client.get(path))
    assert "Acme Inc. sendet Ihnen dann keine Nachrichten zu „News and offers“ per E-Mail mehr." in text


def test_link_error_page_follows_the_browser_when_the_link_is_invalid(client, person):
    token = tampered(link_token(customer=person, purpose=PURPOSE_PREFERENCES))
    response = client.get(f"/p/{token}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    text = text_of(response)
    assert "Ce lien n'est pas valide" in text and "Rien n'a été modifié." in text
    assert "This link isn't valid" not in text


# ------------------------------------------------------------------------------- the catalogs


def po_entries(language: str) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgstr, flags and occurrences (no plural forms are used)."""
    entries = []
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"msgctxt": None, "flags": set(), "occurrences": []}
        keyword = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry["occurrences"] += line[2:].split()
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[keyword] += ast.literal_eval(line)
            else:
                keyword, _sep, value = line.partition(" ")
                assert keyword in ("msgctxt", "msgid", "msgstr"), f"{path}: unexpected {line!r}"
                entry[keyword] = ast.literal_eval(value)
        if entry["msgid"]:
            entries.append(entry)
    return entries


def source_msgids() -> set[tuple[str | None, str]]:
    """Every literal the self-service templates and code mark for translation, as (context, msgid)."""
    found: set[tuple[str | None, str]] = set()
    for template in (ROOT / "selfservice" / "templates" / "selfservice").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        found |= {(None, m) for m in re.findall(r'{% translate "([^"]*)" %}', source)}
        for block in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", source, re.S):
            found.add((None, re.sub(r"{{ (\w+) }}", r"%(\1)s", block)))
    for module in (ROOT / "selfservice").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id in ("_", "gettext", "gettext_lazy") and len(args) == 1:
                found.add((None, args[0]))
            elif node.func.id in ("pgettext", "pgettext_lazy") and len(args) == 2:
                found.add((args[0], args[1]))
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_self_service_string_is_translated_when_a_language_ships(language):
    entries = po_entries(language)
    translated = {(e["msgctxt"], e["msgid"]) for e in entries if e["msgstr"] and "fuzzy" not in e["flags"]}
    missing = sorted(source_msgids() - translated, key=str)
    assert missing == [], f"run makemessages and translate these in locale/{language}: {missing}"
    for entry in entries:
        # The app's catalog holds only the self-service app's strings: every one is translated.
        assert entry["msgstr"], entry["msgid"]
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        placeholders = re.compile(r"%\(\w+\)s")
        assert sorted(placeholders.findall(entry["msgstr"])) == sorted(placeholders.findall(entry["msgid"])), entry


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_the_po_when_committed(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    for entry in po_entries(language):
        if entry["msgctxt"] is None:
            assert catalog.gettext(entry["msgid"]) == entry["msgstr"], f"stale .mo: run compilemessages ({entry})"
        else:
            assert catalog.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"], f"stale .mo ({entry})"
