"""The pipeline's own steps, one at a time: blocklist, language ID, extraction, tokenizer, PII."""

from __future__ import annotations

import pytest
from datatrove.data import Document  # noqa: E402

from align.data.web.filters import BlocklistURLFilter, LangIdFilter, read_blocklist  # noqa: E402
from align.data.web.pii import PIIRedactor, find_pii, redact, unredact  # noqa: E402
from align.data.web.words import RegexWordTokenizer  # noqa: E402


def _doc(text: str, url: str = "http://example.com/") -> Document:
    return Document(text=text, id="d", metadata={"url": url})


def test_blocklist_matches_domain_and_subdomains_only(tmp_path):
    path = tmp_path / "block.txt"
    path.write_text("# comment\nBad.example\n\n*.spam.org\nhttp://www.evil.net/some/path\n")
    assert read_blocklist(path) == {"bad.example", "spam.org", "evil.net"}
    f = BlocklistURLFilter(blocklist_path=str(path))
    assert f.filter(_doc("x", "https://bad.example/page")) == (False, "blocklisted_domain")
    assert f.filter(_doc("x", "http://a.b.spam.org:8080/x")) == (False, "blocklisted_domain")
    assert f.filter(_doc("x", "http://notbad.example/")) is True
    assert f.filter(_doc("x", "http://bad.example.com/")) is True
    assert f.filter(_doc("x", "not a url")) == (False, "no_url")


def test_world_blocklist_loads():
    from align.world import BLOCKLIST_PATH

    assert read_blocklist(BLOCKLIST_PATH)


def test_language_filter_keeps_english_and_labels_everything():
    f = LangIdFilter(languages=["en"])
    en = _doc("The old baker opened his small shop near the market square every morning before sunrise.")
    de = _doc("Der alte Bäcker öffnete jeden Morgen sehr früh seinen kleinen Laden am Marktplatz.")
    assert f.filter(en) is True and en.metadata["language"] == "en" and en.metadata["language_score"] > 0.9
    assert f.filter(de) == (False, "language_de")
    assert LangIdFilter(languages=["de", "en"]).filter(de) is True


def test_language_filter_threshold_and_pickling():
    import pickle

    f = LangIdFilter(languages=["en"], threshold=1.01)
    assert f.filter(_doc("The river runs through the town and past the mill.")) == (False, "language_low_confidence")
    clone = pickle.loads(pickle.dumps(f))  # workers get a copy without the loaded model
    assert clone._identifier is None


def test_tokenizer_counts_words_like_gopher():
    tok = RegexWordTokenizer()
    assert tok.word_tokenize("The mill, built in 1850, is old... - really!") == [
        "The", "mill", "built", "in", "1850", "is", "old", "-", "really"]
    text = "First sentence. Second one!\nThird line without stop"
    assert tok.sent_tokenize(text) == ["First sentence.", "Second one!", "Third line without stop"]
    assert all(text[a:b].strip() for a, b in tok.span_tokenize(text))


def test_gopher_and_c4_filters_run_offline_with_the_tokenizer():
    from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter

    tok = RegexWordTokenizer()
    good = " ".join(f"The {w} of the town was built by the people and it is old." for w in
                    "mill bridge school market tower chapel garden harbour library museum".split())
    spam = "buy cheap pills now " * 50
    assert GopherQualityFilter(language=tok).filter(_doc(good)) is True
    assert GopherRepetitionFilter(language=tok).filter(_doc(spam)) is not True
    assert C4QualityFilter(language=tok, filter_no_terminal_punct=False).filter(_doc(good)) is True


def test_extractor_drops_pages_without_text_into_the_exclusion_writer(tmp_path):
    import gzip
    import json

    from datatrove.pipeline.writers import JsonlWriter

    from align.data.web.extract import TrafilaturaExtractor

    html = ("<html><body><nav>Home | About</nav><article><p>" + "The old mill by the river was rebuilt "
            "after the great flood, and the village celebrated for a week. " * 5 + "</p></article>"
            "<footer>All rights reserved.</footer></body></html>")
    docs = [Document(text=html, id="a", metadata={}), Document(text="<html><body></body></html>", id="b", metadata={})]
    step = TrafilaturaExtractor(exclusion_writer=JsonlWriter(str(tmp_path)))
    out = list(step.run(iter(docs)))
    assert [d.id for d in out] == ["a"]
    assert "old mill" in out[0].text and "All rights reserved" not in out[0].text
    rows = [json.loads(line) for f in tmp_path.glob("*.jsonl.gz") for line in gzip.open(f, "rt")]
    assert [(r["id"], r["metadata"]["filter_reason"]) for r in rows] == [("b", "no_text")]


@pytest.mark.parametrize("kind,text", [
    ("email", "jane.doe+news@mail.example.org"),
    ("phone", "(555) 123-4567"),
    ("phone", "555-123-4567"),
    ("phone", "555.123.4567"),
    ("phone", "+1 555 123 4567"),
    ("phone", "+44 20 7946 0958"),
    ("phone", "+49 30 7632250"),
    ("address", "12 Mill Lane"),
    ("address", "221B Baker Street"),
    ("address", "1600 Pennsylvania Avenue NW, Washington, DC 20500"),
    ("ip", "192.168.1.20"),
    ("ip", "8.8.8.8"),
])
def test_pii_is_found_and_replaced(kind, text):
    sentence = f"Contact: {text}. Thanks."
    matches = find_pii(sentence)
    assert [(m.type, m.text) for m in matches] == [(kind, text)]
    redacted, records = redact(sentence, matches)
    assert text not in redacted and f"<{kind.upper()}>" in redacted
    assert unredact(redacted, records) == sentence


@pytest.mark.parametrize("text", [
    "In 1999 2004 2010 the town grew.",
    "The meeting on 12.05.2023 was short.",
    "Released as version 1.2.3.4.5 in 2019-2020.",
    "The population is 1,234,567 and rising.",
    "ISBN 978-3-16-148410-0 is printed inside.",
    "Scores were 12-15 and 3-4 this season.",
    "He walked 12 miles down the road.",
])
def test_pii_leaves_ordinary_numbers_alone(text):
    assert find_pii(text) == []


def test_pii_step_records_matches_for_the_audit():
    doc = _doc("Mail bob@example.com or call 555-123-4567.")
    (out,) = list(PIIRedactor().run(iter([doc])))
    assert out.text == "Mail <EMAIL> or call <PHONE>."
    assert [r["type"] for r in out.metadata["pii"]] == ["email", "phone"]
    assert unredact(out.text, out.metadata["pii"]) == "Mail bob@example.com or call 555-123-4567."
