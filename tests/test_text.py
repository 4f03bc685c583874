"""Normalisation of single values: the habits of real feeds, one by one."""

import pytest

from catalog.text import (
    channel_credit,
    clean,
    parse_credit,
    parse_duration_s,
    parse_isrc,
    parse_kind,
    parse_title,
    parse_track_number,
    parse_year,
    raw_or_none,
    unmangle,
    writer_names,
)


@pytest.mark.parametrize(
    "raw, seconds",
    [
        ("219", 219.0),  # seconds
        ("321266", 321.266),  # milliseconds
        (219000.0, 219.0),  # a float column of milliseconds
        ("4m 2sec", 242.0),
        ("0m 35sec", 35.0),
        ("03:47", 227.0),
        ("1:02:03", 3723.0),
        ("4.202", 252.12),  # decimal minutes
        ("PT3M39S", 219.0),
        ("3:39 min", 219.0),
        ("3'39\"", 219.0),
        ("3\u203239\u2033", 219.0),
        ("219 sec", 219.0),
        ("219000 ms", 219.0),
        ("3 mins", None),  # minutes alone: too coarse to compare
        ("unk.", None),
        ("n.a.", None),
        ("", None),
        ("abc", None),
        (None, None),
    ],
)
def test_duration_formats_all_become_seconds(raw, seconds):
    assert parse_duration_s(raw) == seconds


@pytest.mark.parametrize(
    "raw, year",
    [
        ("2005", 2005),
        ("05", 2005),
        ("'87", 1987),
        ("87", 1987),
        ("19 99", 1999),
        ("2011-05-01", 2011),
        ("01/05/2011", 2011),
        ("May 1, 2011", 2011),
        ("1 May 2011", 2011),
        ("1-May-11", 2011),  # iTunes
        ("20110501", 2011),
        ("\u2117 2011 Epic Records", 2011),  # a phonographic copyright line
        ("(P) 2011, 2012 Sony", 2011),  # the first year is the release
        ("12345678", None),
        ("2901", None),
        ("null", None),
        ("n ull", None),
        ("20O5", None),
    ],
)
def test_years_in_every_feed_format(raw, year):
    assert parse_year(raw) == year


def test_a_strict_year_reading_finds_no_year_inside_text():
    assert parse_year("Live at Wembley (1986)", loose=False) is None
    assert parse_year("1986", loose=False) == 1986


def test_two_digit_year_pivot_is_configurable():
    assert parse_year("25", pivot=30) == 2025
    assert parse_year("25", pivot=20) == 1925


@pytest.mark.parametrize(
    "raw, number",
    [
        ("007", 7),
        ("7", 7),
        ("7/12", 7),
        ("A7", 7),
        ("Track 7", 7),
        ("#7", 7),
        ("7 of 12", 7),
        ("B-2", 2),  # side and position
        ("1-07", 7),  # disc and track
        ("3.613", None),  # a duration in the wrong column, not disc 3
        ("side", None),
    ],
)
def test_track_numbers(raw, number):
    assert parse_track_number(raw) == number


def test_isrc_punctuation_is_removed_and_junk_rejected():
    assert parse_isrc("us-rc1-76-07839") == "USRC17607839"
    assert parse_isrc("ISRC: USRC17607839") == "USRC17607839"
    assert parse_isrc("not an isrc") is None


def test_kind_aliases():
    assert parse_kind("Music Video") == "video"
    assert parse_kind("track") == "audio"
    assert parse_kind("podcast") is None


def test_clean_folds_accents_case_and_punctuation():
    assert clean("Beyoncé – Déjà Vu!") == "beyonce deja vu"
    assert clean("It's") == "its"
    assert clean("Straße & Søn") == "strasse and son"
    assert clean("Στα καμένα") == "στα καμενα"  # other scripts keep their letters


def test_artist_packed_into_title_is_unpacked_when_artist_is_empty():
    p = parse_title("Daniel Balavoine - L'enfant aux yeux d'Italie", None, "De vous à elle")
    assert (p.title, p.artist) == ("lenfant aux yeux ditalie", "Daniel Balavoine")


def test_album_packed_into_title_is_unpacked_for_a_feed_that_packs_albums():
    title = "Fish Tail Blues - The King & Mister Jelly Lord"
    p = parse_title(title, "Jelly Roll Morton", None, album_packed=True)
    assert (p.title, p.album) == ("fish tail blues", "The King & Mister Jelly Lord")


@pytest.mark.parametrize(
    ("title", "artist", "expected"),
    [
        ("River Deep - Mountain High", "Ike & Tina Turner", "river deep mountain high"),
        ("Like - a - Rolling Stone", "Bob Dylan", "like a rolling stone"),
    ],
)
def test_dashed_title_with_its_artist_stays_whole(title, artist, expected):
    p = parse_title(title, artist, None)
    assert (p.title, p.album) == (expected, None)


def test_bracketed_album_repeated_in_title_is_removed():
    p = parse_title(
        "Astronomy Domine (The Piper at the Gates of Dawn)",
        "Pink Floyd",
        "The Piper atthe Gates of Dawn",
    )
    assert p.title == "astronomy domine"


def test_nested_brackets_are_one_segment():
    p = parse_title(
        "A Song (Please Save My Earth (US Version))", "x", "Please Save My Earth (US Version)"
    )
    assert p.title == "a song"


def test_track_number_prefix_is_removed_only_when_it_is_a_track_number():
    assert parse_title("007-Chases", "mclusky", None, 7).title == "chases"
    assert parse_title("2-4-6-8 Motorway", "TRB", None, None).title == "2 4 6 8 motorway"
    assert parse_title("015-", None, None, 15).title is None


@pytest.mark.parametrize(
    "raw, title",
    [
        ("0A2-Thrilling Murder", "thrilling murder"),
        ("00A-Creeper", "creeper"),
        ("R004-Long Tall Glasses", "long tall glasses"),
        # a letter and a number that are the title stay
        ("B52-Love Shack", "b52 love shack"),
        ("X-Ray Eyes", "x ray eyes"),
        ("A1-Sound", "a1 sound"),
    ],
)
def test_a_padded_vinyl_position_before_the_title_is_removed(raw, title):
    assert parse_title(raw, "x", None, None).title == title


@pytest.mark.parametrize(
    "raw",
    ["Darude  -Sandstorm", "Darude- Sandstorm", "Darude -- Sandstorm", "Darude---Sandstorm"],
)
def test_a_packing_dash_that_lost_its_spaces_still_splits_artist_and_title(raw):
    p = parse_title(raw, None, None, None)
    assert (p.title, p.artist) == ("sandstorm", "Darude")


def test_a_hyphen_inside_a_title_or_beside_a_credited_artist_is_kept():
    assert parse_title("Spider-Man", None, None, None).title == "spider man"
    assert parse_title("Song -Live-", "Band", None, None).title == "song live"


def test_remaster_suffix_is_the_same_recording():
    p = parse_title("Let It Be - Remastered 2009", "The Beatles", "Let It Be")
    assert (p.title, p.version) == ("let it be", "remaster")


@pytest.mark.parametrize(
    "title, version",
    [
        ("Song (Live at Wembley)", "live"),
        ("Song - Live", "live"),
        ("Song (Club Mix)", "remix"),
        ("Song (Danny Tenaglia Remix)", "remix"),
        ("Song (Acoustic Version)", "acoustic"),
        ("Song (Radio Edit)", "edit"),
        ("Song", "original"),
        ("Song (Album Version)", "original"),
    ],
)
def test_version_tags(title, version):
    p = parse_title(title, "A", None)
    assert (p.title, p.version) == ("song", version)


def test_version_inside_a_packed_title_does_not_swallow_the_song():
    p = parse_title("Kinane - Heaven (Danny Tenaglia's vocal mix)", None, None)
    assert (p.title, p.artist, p.version) == ("heaven", "Kinane", "remix")


def test_feat_in_title_moves_to_the_credit():
    p = parse_title("Get Lucky (feat. Pharrell Williams) - Radio Edit", "Daft Punk", None)
    assert (p.title, p.featured, p.version) == ("get lucky", ["Pharrell Williams"], "edit")
    assert parse_title("Song ft. Somebody", "A").featured == ["Somebody"]


def test_video_markers_are_detected_and_removed():
    p = parse_title("Blinding Lights (Official Video)", "The Weeknd", None)
    assert (p.title, p.video) == ("blinding lights", True)


def test_credit_splits_feat_and_several_artists():
    c = parse_credit("The Weeknd feat. Daft Punk")
    assert (c.main, c.names) == ("weeknd", ("weeknd", "daft punk"))
    assert parse_credit("Simon & Garfunkel").names == ("simon", "garfunkel")
    assert parse_credit(None, ["Echosmith"]).names == ("echosmith",)


def test_album_repeated_in_brackets_is_not_read_as_a_version():
    p = parse_title(
        "God and Satan (Revolutions: Live at Wembley)",
        "Biffy Clyro",
        "Revolutions: Live at Wembley",
    )
    assert (p.title, p.version) == ("god and satan", "original")


def test_album_packed_after_a_dash_is_not_read_as_a_version():
    p = parse_title(
        "Interview 4 - 2005-08-30: KEXP Live", "Death Cab for Cutie", None, album_packed=True
    )
    assert (p.title, p.album, p.version) == ("interview 4", "2005-08-30: KEXP Live", "original")


def test_a_title_starting_with_a_version_word_is_still_a_title():
    p = parse_title("DJ Shog - Live 4 Music", None, "Future Trance")
    assert (p.title, p.artist, p.version) == ("live 4 music", "DJ Shog", "original")


def test_several_dash_tails_are_all_read():
    p = parse_title(
        "Savage Highway - Calvin Harris Remix - Remastered 1992", "Bright Letter", "Little Velvet"
    )
    assert (p.title, p.version) == ("savage highway", "remix")


def test_lyric_video_is_a_different_video_of_the_same_audio():
    assert parse_title("Song (Lyric Video)", "A").version == "lyric_video"
    assert parse_title("Song (Official Music Video)", "A").version == "original"


@pytest.mark.parametrize(
    "raw, video, artist",
    [
        ("TheEndlessWavesVEVO", True, "The Endless Waves"),
        ("DJSnakeVEVO", False, "DJ Snake"),  # VEVO names a channel on any record
        ("Neon Islands - Topic", True, "Neon Islands"),
        ("EtrainOfficial", True, "Etrain"),
        ("EtrainOfficial", False, "EtrainOfficial"),  # may be a name on audio
        ("neonislandsvevo", True, "neonislands"),  # no capitals: no word breaks
        ("VEVO", True, "VEVO"),  # nothing before the suffix: a name after all
        ("Daft Punk", True, "Daft Punk"),
    ],
)
def test_channel_credits_are_read_as_the_artist(raw, video, artist):
    assert channel_credit(raw, video) == artist


def test_a_packed_topic_channel_is_the_credit_not_the_title():
    p = parse_title("Neon Islands - Topic - Endless Ghost", None)
    assert (p.title, channel_credit(p.artist, True)) == ("endless ghost", "Neon Islands")


def test_writer_credits_are_split_folded_and_sorted():
    assert writer_names("Max Martin / Shellback; Savan KOTECHA") == [
        "max martin",
        "savan kotecha",
        "shellback",
    ]
    assert writer_names("Björk and The Knife") == ["bjork", "knife"]
    assert writer_names(None) == [] and writer_names("n/a") == []


@pytest.mark.parametrize(
    "raw, repaired",
    [
        ("BeyoncÃ©", "Beyoncé"),  # UTF-8 read as Windows-1252
        ("LÃ©o FerrÃ©", "Léo Ferré"),  # as in MusicBrainz 20K
        ("Sigur RÃƒÂ³s", "Sigur Rós"),  # twice
        ("NolÄ\x81dÄ\x93ts", "Nolādēts"),  # continuation bytes Windows-1252 lacks
        ("Rock &amp; Roll", "Rock & Roll"),  # HTML entities
        ("Don&#39;t Stop", "Don't Stop"),
        ("Guns N&#x27; Roses", "Guns N' Roses"),
        # Left alone: real accents, a lone "Ã" and bytes that are not UTF-8.
        ("Beyoncé", "Beyoncé"),
        ("São Paulo Ã»", "São Paulo Ã»"),
        ("Mötley Crüe", "Mötley Crüe"),
        ("AT&T", "AT&T"),
        ("Tom & Jerry", "Tom & Jerry"),
    ],
)
def test_encoding_slips_of_feeds_are_undone(raw, repaired):
    assert unmangle(raw) == repaired


def test_a_mangled_value_compares_like_the_clean_one():
    assert clean(raw_or_none("BeyoncÃ©")) == clean("Beyoncé") == "beyonce"
    assert parse_title(raw_or_none("Rock &amp; Roll"), None, None).title == "rock and roll"


@pytest.mark.parametrize(
    "raw, main, names",
    [
        ("Beatles, The", "beatles", ("beatles",)),
        ("Beatles, The feat. Cure, The", "beatles", ("beatles", "cure")),
        (
            "Beatles, The & Rolling Stones, The",
            "beatles and the rolling stones",
            ("beatles", "rolling stones"),
        ),
        # Not the sort form: "The" starts the next name.
        ("Smith, The Band", "smith the band", ("smith", "band")),
        ("Earth, Wind & Fire", "earth wind and fire", ("earth", "wind", "fire")),
    ],
)
def test_a_library_sort_form_is_one_name(raw, main, names):
    credit = parse_credit(raw)
    assert credit.main == main
    assert credit.names == names


def test_writers_in_sort_form_are_not_split_at_the_article():
    assert writer_names("Beatles, The / Max Martin") == ["beatles", "max martin"]


@pytest.mark.parametrize(
    "raw, title, featured",
    [
        (
            "Señorita (with Camila Cabello)",
            "senorita",
            ["Camila Cabello"],
        ),  # a store's guest credit
        ('Lose Yourself (From "8 Mile")', "lose yourself", []),  # where it appears
        ('Lose Yourself - From "8 Mile" Soundtrack', "lose yourself", []),
        ("Skyfall (From the Motion Picture Skyfall)", "skyfall", []),
        ("Song (Bonus Track)", "song", []),
        ("Song (Prod. by Metro Boomin)", "song", []),
        # Left in the title: a capitalised subtitle, an unquoted larger work,
        # a remix named "From ...", and a title that starts with "With".
        ("Are You There (With Another Girl)", "are you there with another girl", []),
        ("Air (from the Water Music)", "air from the water music", []),
        ("With or Without You", "with or without you", []),
    ],
)
def test_store_notes_in_titles(raw, title, featured):
    parsed = parse_title(raw, "Artist", "Album")
    assert parsed.title == title
    assert parsed.featured == featured


def test_a_remix_named_from_somewhere_is_still_a_remix():
    assert (
        parse_title("They Will Hate You (From Border to Line mix)", "Nin Kuji").version == "remix"
    )


@pytest.mark.parametrize(
    "album, cleaned",
    [
        ("Thriller - Single", "thriller"),
        ("Thriller - EP", "thriller"),
        ("Curtain Call [Explicit]", "curtain call"),
        ("Curtain Call (Clean Version)", "curtain call"),
        ("Curtain Call (Explicit) - Single", "curtain call"),
        ("Single", "single"),  # an album called "Single"
        ("The Singles", "the singles"),
    ],
)
def test_a_stores_release_suffixes_are_not_part_of_the_album(album, cleaned):
    assert clean(parse_title("Song", "Artist", album).album) == cleaned


@pytest.mark.parametrize("raw", ["Various Artists", "VARIOUS", "V.A.", "Varios Artistas"])
def test_a_compilations_placeholder_credit_is_no_credit(raw):
    assert parse_credit(raw) == parse_credit(None)


def test_a_placeholder_keeps_the_featured_names():
    credit = parse_credit("Various Artists feat. Nadia Pygosiar")
    assert credit.main is None
    assert credit.names == ("nadia pygosiar",)


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        # An ASCII-only export wrote "?" for every letter it could not hold.
        ("???? ??????", None),
        ("(?????) ??. ???", None),
        # What it kept is the title; so are titles of symbols, one "?" among them.
        ("?????? ???? - ?????????? 1976", "1976"),
        ("?", "?"),
        ("!!!", "!!!"),
        ("Why?", "why"),
    ],
)
def test_a_title_of_question_marks_only_is_text_an_export_lost(raw, title):
    assert parse_title(raw, None, None).title == title
