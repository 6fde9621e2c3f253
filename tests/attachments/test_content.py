"""What an uploaded file is and what it says (samordna.attachments.content): kinds told by content, the
confidentiality guard over each kind's text with where it found a number (never the number), the files it
cannot read through, and images stripped of their metadata."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from samordna.attachments import content
from samordna.attachments.content import office, text
from tests.attachments import files
from tests.attachments.files import national_id

NUMBER = national_id()


@pytest.fixture
def put(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def put(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return put


def kind_of(put: Callable[[str, bytes], Path], name: str, data: bytes) -> str | None:
    kind = content.sniff(put(name, data), name)
    return kind.name if kind is not None else None


def finding(put: Callable[[str, bytes], Path], name: str, data: bytes) -> str | None:
    path = put(name, data)
    kind = content.sniff(path, name)
    assert kind is not None, name
    found = content.find_national_id(path, kind)
    return found.where if found is not None else None


# ---------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("rapport.pdf", lambda: files.pdf(["Evaluering"]), "pdf"),
        ("rapport.docx", lambda: files.docx(), "docx"),
        ("tall.xlsx", lambda: files.xlsx(), "xlsx"),
        ("referat.odt", lambda: files.odt(), "odt"),
        ("bilde.png", lambda: files.png(), "png"),
        ("bilde.jpg", lambda: files.jpeg(), "jpeg"),
        ("notat.txt", lambda: files.txt(), "txt"),
        ("skoler.csv", lambda: files.csv(), "csv"),
    ],
)
def test_each_kind_is_told_by_its_content(put, name: str, build, expected: str) -> None:
    assert kind_of(put, name, build()) == expected
    assert content.KINDS[expected].label in content.accepted_labels()


def test_an_xlsx_is_not_taken_for_a_docx_whatever_its_name(put) -> None:
    # puremagic's trap: every zip of XML a DOCX. The name changes nothing either way.
    assert kind_of(put, "tall.xlsx", files.xlsx()) == "xlsx"
    assert kind_of(put, "tall.docx", files.xlsx()) == "xlsx"
    assert kind_of(put, "rapport.xlsx", files.docx()) == "docx"


def test_a_file_renamed_to_an_accepted_kind_is_refused(put) -> None:
    assert kind_of(put, "rapport.pdf", files.txt()) is None  # text is not a PDF
    assert kind_of(put, "rapport.pdf", bytes(range(256)) * 40) is None
    assert kind_of(put, "rapport.docx", files.zip_of({"word.txt": "hei"})) is None
    assert kind_of(put, "bilde.png", b"GIF89a" + bytes(200)) is None


def test_a_zip_that_is_no_office_file_is_refused(put) -> None:
    assert kind_of(put, "arkiv.zip", files.zip_of({"a.txt": "hei", "b.xml": "<a/>"})) is None
    odt_lookalike = files.with_members(files.odt(), {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
    assert kind_of(put, "regneark.odt", odt_lookalike) is None
    both = files.with_members(files.docx(), {"xl/workbook.xml": "<workbook/>"})
    assert kind_of(put, "begge.docx", both) is None


def test_a_macro_enabled_document_renamed_docx_is_refused(put) -> None:
    original = zipfile.ZipFile(io.BytesIO(files.docx())).read("[Content_Types].xml").decode()
    macro = original.replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert macro != original
    assert kind_of(put, "makro.docx", files.with_members(files.docx(), {"[Content_Types].xml": macro})) is None


def test_the_name_picks_csv_or_text_but_never_makes_binary_text(put) -> None:
    assert kind_of(put, "skoler.txt", files.csv()) == "txt"
    assert (
        kind_of(put, "notat.csv", files.txt("Bare en setning, og så en til.\nOg en linje uten skilletegn\n")) == "txt"
    )
    assert kind_of(put, "tabell.csv", files.csv([["a", "b", "c"], [1, 2, 3]], delimiter="\t")) == "csv"
    assert kind_of(put, "data.csv", b"a;b\x00;c\n1;2;3\n") is None  # a NUL byte: not text
    assert kind_of(put, "data.csv", "a;b\n1;2\n".encode("utf-16")) is None
    assert kind_of(put, "notat.txt", b"Tekst som begynner pent\n" + bytes(range(256))) is None


def test_windows_excel_csv_in_windows_1252_is_taken_with_its_charset(put) -> None:
    data = files.csv([["Skole", "Antall"], ["Bø skole", 12]], encoding="cp1252")
    kind = content.sniff(put("skoler.csv", data), "skoler.csv")
    assert kind is not None and kind.name == "csv"
    assert kind.mime == "text/csv; charset=windows-1252"
    bom = kind_of(put, "notat.txt", b"\xef\xbb\xbf" + "Møte på Ås".encode())
    assert bom == "txt" and content.KINDS["txt"].mime == "text/plain; charset=utf-8"


# ---------------------------------------------------------------- the guard over each kind


@pytest.mark.parametrize(
    ("name", "build", "where"),
    [
        ("rapport.pdf", lambda n: files.pdf(["Innledning", "Resultater", f"Eleven med nummer {n} sluttet."]), "side 3"),
        ("rapport.docx", lambda n: files.docx(["Innledning", "", "Resultater", f"Gjelder {n}."]), "avsnitt 3"),
        (
            "tall.xlsx",
            lambda n: files.xlsx({"Oversikt": [["Tiltak"]], "Elever": [["Navn", "Nr"], ["Ola", n]]}),
            "arket «Elever»",
        ),
        ("referat.odt", lambda n: files.odt(["Referat", f"Saken gjelder {n}."]), "avsnitt 2"),
        ("notat.txt", lambda n: files.txt(f"Notater\n\nGutten ({n}) møtte ikke.\n"), "linje 3"),
        ("skoler.csv", lambda n: files.csv([["Navn", "Nr"], ["Kari", "–"], ["Ola", n]]), "linje 3"),
    ],
)
def test_a_national_id_is_found_and_where_said_without_the_number(put, name: str, build, where: str) -> None:
    assert finding(put, name, build(NUMBER)) == where
    assert NUMBER not in where
    assert finding(put, name, build("12345678901")) is None  # 11 digits that are no fødselsnummer


@pytest.mark.parametrize(
    "written", [f"{NUMBER[:6]} {NUMBER[6:]}", f"{NUMBER[:2]}.{NUMBER[2:4]}.{NUMBER[4:6]} {NUMBER[6:]}"]
)
def test_a_number_is_found_however_it_is_written(put, written: str) -> None:
    assert finding(put, "rapport.docx", files.docx([f"Eleven ({written})"])) == "avsnitt 1"
    assert finding(put, "notat.txt", files.txt(f"Eleven ({written})")) == "linje 1"


def test_a_number_split_by_a_piece_boundary_is_found_on_its_line(put) -> None:
    for cut in (3, 6, 10):  # the piece boundary falls inside the number
        data = "linje\n" * 10 + "x" * (text.PIECE - 60 - cut) + " " + NUMBER + " slutt\n"
        assert len(data[: text.PIECE]) == text.PIECE and NUMBER not in data[: text.PIECE]
        assert finding(put, "stor.txt", data.encode()) == "linje 11"


def test_a_piece_boundary_does_not_make_a_number_of_part_of_a_longer_one(put) -> None:
    cut = text.PIECE - text.OVERLAP  # where the second window starts
    starts_a_window = "x" * (cut - 3) + "123" + NUMBER + " slutt\n"  # 14 digits in all
    ends_a_window = "x" * (text.PIECE - 11) + NUMBER + "987 slutt\n"  # 14 digits in all
    assert starts_a_window[cut : cut + 11] == NUMBER and ends_a_window[text.PIECE - 11 : text.PIECE] == NUMBER
    assert finding(put, "a.txt", starts_a_window.encode()) is None
    assert finding(put, "b.txt", ends_a_window.encode()) is None


def test_docx_tables_headers_and_footers_are_read(put) -> None:
    table = files.docx(["Oversikt"], table_cells=[["Navn", "Nummer"], ["Ola", NUMBER]])
    assert finding(put, "tabell.docx", table) == "tabell 1"
    assert finding(put, "hode.docx", files.docx(["Rapport"], header=f"Elev {NUMBER}")) == "topptekst"
    assert finding(put, "fot.docx", files.docx(["Rapport"], footer=f"Elev {NUMBER}")) == "bunntekst"
    assert (
        finding(put, "ren.docx", files.docx(["Rapport"], table_cells=[["a", "b"]], header="Hode", footer="Fot")) is None
    )


def test_docx_runs_of_one_paragraph_are_read_as_one_text(put) -> None:
    split = files.docx([f"Gjelder {NUMBER[:5]}"])
    document = zipfile.ZipFile(io.BytesIO(split)).read("word/document.xml").decode()
    runs = document.replace(
        f"Gjelder {NUMBER[:5]}</w:t></w:r>", f"Gjelder {NUMBER[:5]}</w:t></w:r><w:r><w:t>{NUMBER[5:]}</w:t></w:r>"
    )
    assert runs != document
    assert finding(put, "runs.docx", files.with_members(split, {"word/document.xml": runs})) == "avsnitt 1"


def test_xlsx_names_the_sheet_and_reads_numbers_as_shown(put) -> None:
    two = {"Skoler": [["Bø skole", "felles tekst"]], "Elever 8A": [["felles tekst"], [NUMBER]]}
    assert finding(put, "to.xlsx", files.xlsx(two)) == "arket «Elever 8A»"
    assert finding(put, "tall.xlsx", files.xlsx({"Ark1": [[int(NUMBER)]]})) == "arket «Ark1»"
    born_early = national_id(__import__("datetime").date(2009, 4, 3))  # «03…»: a number loses its leading zero
    shown = files.xlsx({"Ark1": [[int(born_early)]]}, number_format="00000000000")
    assert finding(put, "vist.xlsx", shown) == "arket «Ark1»"
    assert finding(put, "uvist.xlsx", files.xlsx({"Ark1": [[int(born_early)]]})) is None  # shown as 10 digits
    assert finding(put, "navn.xlsx", files.xlsx({f"Ola {NUMBER}": [["a"]]})) == "navnet på et ark"


def test_odt_tables_are_read(put) -> None:
    assert finding(put, "tabell.odt", files.odt(["Referat"], table_cells=["Ola", NUMBER])) == "tabell 1"


def test_pdf_properties_and_open_encryption_are_read(put) -> None:
    assert finding(put, "tittel.pdf", files.pdf(["Rapport"], title=f"Om {NUMBER}")) == "dokumentegenskapene"
    assert finding(put, "sikret.pdf", files.pdf(["Rapport", NUMBER], user_password="")) == "side 2"


# ---------------------------------------------------------------- unreadable


def unreadable(put: Callable[[str, bytes], Path], name: str, data: bytes) -> str:
    path = put(name, data)
    kind = content.sniff(path, name)
    assert kind is not None, name
    with pytest.raises(content.Unreadable) as caught:
        content.find_national_id(path, kind)
    return str(caught.value)


def test_a_password_protected_pdf_is_unreadable(put) -> None:
    assert "kryptert" in unreadable(put, "hemmelig.pdf", files.pdf(["Hemmelig"], user_password="hemmelig"))


def test_encrypted_office_files_are_unreadable(put) -> None:
    assert "kryptert" in unreadable(put, "hemmelig.docx", files.encrypted_zip(files.docx()))
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry>'
        "</manifest:manifest>"
    )
    encrypted_odt = files.with_members(files.odt(), {"META-INF/manifest.xml": manifest})
    assert "kryptert" in unreadable(put, "hemmelig.odt", encrypted_odt)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("skadet.docx", lambda: files.damaged(files.docx(), member="word/document.xml")),
        ("avkuttet.docx", lambda: files.damaged(files.docx())),
        ("avkuttet.xlsx", lambda: files.damaged(files.xlsx())),
        ("skadet.pdf", lambda: files.damaged(files.pdf(["Rapport"] * 3))),
        ("skadet.png", lambda: files.damaged(files.png(True))),
        ("skadet.jpg", lambda: files.damaged(files.jpeg())),
        (
            "dtd.docx",
            lambda: files.with_members(files.docx(), {"word/document.xml": '<!DOCTYPE w [<!ENTITY a "b">]><w/>'}),
        ),
    ],
)
def test_a_damaged_file_is_unreadable_with_a_norwegian_reason(put, name: str, build) -> None:
    assert "skadet" in unreadable(put, name, build())


def test_a_zip_bomb_is_unreadable(put, monkeypatch) -> None:
    assert "zip-bombe" in unreadable(put, "bombe.docx", files.zip_bomb(16))
    monkeypatch.setattr(office, "MAX_UNPACKED", 100_000)  # a file whose XML is larger than the cap in all
    big = files.docx([f"Avsnitt {i} om tiltaket" * 20 for i in range(400)])
    assert "for stort" in unreadable(put, "stor.docx", big)
    monkeypatch.setattr(office, "MAX_MEMBERS", 5)
    assert "for mange deler" in unreadable(put, "mange.docx", files.docx())


def test_a_pdf_of_too_many_pages_is_unreadable(put, monkeypatch) -> None:
    from samordna.attachments.content import pdf

    monkeypatch.setattr(pdf, "MAX_PAGES", 2)
    assert finding(put, "to.pdf", files.pdf(["en", "to"])) is None
    assert "for mange sider (over 2)" in unreadable(put, "tre.pdf", files.pdf(["en", "to", "tre"]))


# ---------------------------------------------------------------- images


def stripped(put: Callable[[str, bytes], Path], name: str, data: bytes) -> bytes:
    path = put(name, data)
    kind = content.sniff(path, name)
    assert kind is not None and kind.image
    assert content.find_national_id(path, kind) is None
    content.strip_metadata(path, kind)
    return path.read_bytes()


def test_an_image_without_metadata_is_kept_byte_for_byte(put) -> None:
    for name, data in (("a.png", files.png()), ("a.jpg", files.jpeg())):
        assert stripped(put, name, data) == data


def test_a_jpeg_loses_its_exif_gps_and_comment_and_keeps_its_picture(put) -> None:
    data = files.jpeg(with_gps=True, comment=b"Tatt hjemme hos Ola")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    after = stripped(put, "gps.jpg", data)
    img = Image.open(io.BytesIO(after))
    assert not img.getexif() and "exif" not in img.info and "comment" not in img.info
    assert b"Exif" not in after and b"Ola" not in after and b"Telefonprodusent" not in after
    assert after.endswith(data[-200:])  # the picture's own bytes untouched: not re-encoded


def test_a_png_loses_its_exif_and_text_chunks(put) -> None:
    data = files.png(with_exif_gps=True, text="Adresse: Storgata 1")
    after = stripped(put, "gps.png", data)
    img = Image.open(io.BytesIO(after))
    assert not img.getexif() and not img.text
    assert b"eXIf" not in after and b"tEXt" not in after and b"Storgata" not in after
    assert img.tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_a_turned_photo_is_turned_upright_before_its_exif_goes(put) -> None:
    after = stripped(put, "snudd.jpg", files.jpeg(with_gps=True, orientation=6))  # shot with the phone on its side
    img = Image.open(io.BytesIO(after)).convert("RGB")
    assert img.size == (20, 40) and not img.getexif()
    top, bottom = img.getpixel((10, 5)), img.getpixel((10, 35))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # the red left half is now on top


def test_what_follows_the_end_of_a_jpeg_is_removed(put) -> None:
    data = files.jpeg() + b"\x00\x00ftypmp42 video of the moment"
    assert stripped(put, "bevegelse.jpg", data) == files.jpeg()


def test_a_huge_picture_in_a_small_file_is_refused(put, monkeypatch) -> None:
    from samordna.attachments.content import images

    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    for name, data in (("a.png", files.png()), ("a.jpg", files.jpeg())):
        assert "for stort" in unreadable(put, name, data)


def test_a_jpeg_the_lossless_walk_cannot_follow_is_saved_again_without_metadata(put, monkeypatch) -> None:
    from samordna.attachments.content import images

    def puzzled(path: Path) -> None:
        raise content.Unreadable("?")

    monkeypatch.setattr(images, "_jpeg_parts", puzzled)
    after = stripped(put, "rar.jpg", files.jpeg(with_gps=True, comment=b"Tatt hjemme hos Ola"))
    img = Image.open(io.BytesIO(after))
    assert img.size == (40, 20) and not img.getexif() and b"Ola" not in after
