"""The keys a title is known by (linkage.work_titles): pure functions, no Spark."""

from __future__ import annotations

from catalog.text import parse_title
from linkage.work_titles import key_of, title_words, work_title


def _title(raw, **limits):
    return work_title(raw, parse_title(raw).title, **limits)


def test_spellings_of_one_title_meet_in_one_key():
    same = [
        ("Kiss an Angel Good Mornin'", "Kiss an Angel Good Morning"),
        ("Back Stabbers", "Backstabbers"),
        ("The Girl from Ipanema", "Girl From Ipanema"),
        ("Desperados Waiting for the Train", "Desperados Waiting for a Train"),
        ("I Don't Wanna Grow Up", "I Don't Want to Grow Up"),
        ("Rock 'n' Roll Music", "Rock and Roll Music"),
        ("Réflexion", "Reflexion"),
    ]
    for a, b in same:
        assert key_of(_title(a).words) == key_of(_title(b).words), (a, b)
    # A short word keeps its "-ing": "sing" is not "sin".
    assert title_words("Sing") != title_words("Sin")


def test_a_bracket_the_parse_kept_is_a_variant_and_a_version_tag_is_nothing():
    heaven = _title("(Feels Like) Heaven")
    assert key_of(heaven.words) == "heaven" and heaven.variants == ["feelslikeheaven"]
    bossa = _title("Don't Ever Go Away (Por Causa de Você)")
    assert key_of(bossa.words) == "dontevergoaway"
    assert "porcausadevoce" in bossa.variants
    live = _title("Yesterday (Live at Wembley)")
    assert (key_of(live.words), live.variants) == ("yesterday", [])
    # Short variants name too many songs to count.
    assert _title("Song (Reprise)").variants == []


def test_a_medley_lists_its_songs_and_is_keyed_by_the_first():
    t = _title("Because / Come Together")
    assert t.medley == ["because", "cometogether"] and key_of(t.words) == "because"
    assert _title("Medley: Stitches; Should've Been Us").medley == ["stitches", "shouldvebeenus"]
    assert _title("Este Seu Olhar/Promessas").medley == ["esteseuolhar", "promessas"]
    dashed = work_title(
        "Yesterday - Let It Be Medley", parse_title("Yesterday - Let It Be Medley", "Beatles").title
    )
    assert dashed.medley == ["yesterday", "letitbe"]
    one = work_title("Hey Jude - Medley", parse_title("Hey Jude - Medley", "Beatles").title)
    assert (one.medley, key_of(one.words)) == ([], "heyjude")
    for one_song in ("AC/DC Song", "24/7", "Either/Or", "River Deep - Mountain High"):
        assert _title(one_song).medley == [], one_song


def test_a_long_title_offers_the_shorter_titles_it_contains_longest_first():
    t = _title("And I Am Telling You I'm Not Going")
    assert t.contained[0] == key_of(title_words("And I Am Telling You I'm Not"))
    assert key_of(title_words("And I Am Telling You")) in t.contained
    # Never fewer than three words or twelve characters.
    assert all(len(k) >= 12 for k in t.contained)
    assert _title("Love Me Tender").contained == []


def test_a_title_in_cyrillic_or_greek_is_also_keyed_in_latin_letters():
    assert _title("Журавли").latin == key_of(title_words("Zhuravli"))
    assert _title("Σκόρπια φιλιά").latin == "skorpiafilia"
    assert _title("Yesterday").latin == ""
