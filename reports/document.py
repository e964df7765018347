"""The PDF page layer: headings, paragraphs, tables and figures with real, searchable text."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pandas as pd
from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from reports.fonts import DEJAVU, cjk_font
from reports.store.errors import ReportError
from reports.words import say

CJK_START = 0x2E80  # CJK radicals; DejaVu covers the scripts below it
CLOSING_MARKS = "，。、：；！？）》」』】%)]}.,:;!?"
OPENING_MARKS = "（《「『【([{"
SECTION_ROOM = 0.6  # a section that would start with less than this share of a page free starts a new one
SMALLEST_TABLE_FONT = 5.5
BOLD_WIDER = 1.1  # bold text is at most this much wider than regular DejaVu Sans


class ReportDocument(FPDF):
    """A4 pages with the report's title as a running heading and 'page k of n' at the foot."""

    def __init__(self, heading: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.heading = heading
        self.add_font("body", "", str(DEJAVU / "DejaVuSans.ttf"))
        self.add_font("body", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        self._cjk_added = False
        self.set_font("body", size=10)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(heading)
        self.add_page()

    def normalize_text(self, text: str) -> str:
        """Every text passes here before it is written: the CJK font (large, slow to load) is added as a
        fallback the first time a text needs it."""
        if not self._cjk_added and _is_cjk(text):
            self._cjk_added = True
            cjk = cjk_font()
            if cjk is not None:
                self.add_font("cjk", "", str(cjk))
                self.add_font("cjk", "B", str(cjk))
                self.set_fallback_fonts(["cjk"])
        return super().normalize_text(text)

    def header(self):
        self.set_font("body", size=8)
        self.set_text_color(110)
        self.cell(0, 6, self.heading, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_font("body", size=10)

    def footer(self):
        self.set_y(-12)
        self.set_font("body", size=8)
        self.cell(0, 6, say("page", page=self.page_no(), pages="{nb}"), align="C")

    def title_block(self, text: str) -> None:
        self.set_font("body", "B", 16)
        self.multi_cell(0, 9, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font("body", size=10)
        self.ln(2)

    def section(self, text: str, new_page: bool = False) -> None:
        """A heading; with `new_page`, on a new page unless most of this one is still free (no page of a report
        holds only the end of the section before)."""
        if new_page and self.will_page_break(self.eph * SECTION_ROOM):
            self.add_page()
        self.ln(3)
        self.set_font("body", "B", 13)
        self.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font("body", size=10)
        self.ln(1)

    def keep_together(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one (a caption and its figure)."""
        if self.will_page_break(height):
            self.add_page()

    def paragraph(self, text: str) -> None:
        self._flowing(text)
        self.ln(1.5)

    def bullets(self, lines: list[str]) -> None:
        for line in lines:
            self._flowing(f"\u2022 {line}")
        self.ln(1.5)

    def _flowing(self, text: str) -> None:
        """Justified and broken between words, unless the text is CJK: it has no spaces between words, so it is
        broken between characters (justifying would stretch the few spaces beside its numbers into gaps), but
        never inside a number or a Latin word, nor before a closing mark such as '，'."""
        if not _is_cjk(text):
            self.multi_cell(0, 5, text, align="J", new_x="LMARGIN", new_y="NEXT")
            return
        lines = [line for part in text.split("\n") for line in self._cjk_lines(part)]
        self.multi_cell(0, 5, "\n".join(lines), align="L", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")

    def _cjk_lines(self, text: str) -> list[str]:
        """fpdf2 finds where each line fills up (it measures with the fallback fonts); the break moves back to
        the last place a CJK line may break."""
        lines, rest = [], text.strip()
        while rest:
            lines_of_rest = self.multi_cell(0, 5, rest, wrapmode=WrapMode.CHAR, dry_run=True, output="LINES")
            first = cast(list[str], lines_of_rest)[0]
            cut = len(first) if rest.startswith(first) else len(rest)
            if cut < len(rest):
                cut = next((p for p in range(cut, 0, -1) if _may_break(rest, p)), cut)
            lines.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        return lines

    def frame_table(self, frame: pd.DataFrame, font_size: float = 8, headings: bool = True) -> None:
        """Headings repeat on every page a long table spills onto; columns are as wide as their longest word at
        least, so no heading or value is broken inside a word; a table too wide for that at `font_size` is set
        smaller, down to `SMALLEST_TABLE_FONT`."""
        rows = ([[str(c) for c in frame.columns]] if headings else []) + [
            [_cell(v) for v in row] for _, row in frame.iterrows()
        ]
        widths = None
        while rows:
            self.set_font("body", size=font_size)
            widths = self._column_widths(rows)
            if sum(widths) <= self.epw or font_size <= SMALLEST_TABLE_FONT:
                break
            font_size -= 0.5
        with super().table(
            first_row_as_headings=headings,
            repeat_headings=1,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 235)),
            line_height=font_size * 0.5,
            text_align="LEFT",
            col_widths=widths,
        ) as table:
            for row in rows:
                table.row(row)
        self.set_font("body", size=10)
        self.ln(2)

    def _column_widths(self, rows: list[list[str]]) -> tuple[float, ...]:
        """Each column gets its longest word, then a share of the room left in proportion to what its longest
        text needs beyond that; wider than the page when the longest words alone are."""
        padding = 2 * self.c_margin + 1

        def width(text: str) -> float:
            return self.get_string_width(text) * BOLD_WIDER + padding

        columns = list(zip(*rows, strict=False))
        least = [max(width(word) for text in column for word in text.split() or [""]) for column in columns]
        wanted = [max(width(text) for text in column) for column in columns]
        room, beyond = self.epw - sum(least), [w - m for w, m in zip(wanted, least, strict=False)]
        if room <= 0 or sum(beyond) <= room:
            return tuple(wanted if room > 0 else least)
        return tuple(m + room * b / sum(beyond) for m, b in zip(least, beyond, strict=False))

    def save(self, out: Path) -> Path:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.output(str(out))
        except OSError as exc:
            raise ReportError(
                f"cannot write the report to {out}: {exc.strerror}. Choose a writable --out path."
            ) from None
        return out

    def figure(self, path: Path, width: float | None = None) -> None:
        width = width or self.epw
        self.image(str(path), w=width, x=self.l_margin + (self.epw - width) / 2)
        self.ln(2)


def _is_cjk(text: str) -> bool:
    return any(ord(c) >= CJK_START for c in text)


def _may_break(text: str, at: int) -> bool:
    """Between two characters of a CJK line: next to a space or a CJK character, but not before a closing mark
    nor after an opening one."""
    before, after = text[at - 1], text[at]
    if after in CLOSING_MARKS or before in OPENING_MARKS:
        return False
    return before.isspace() or after.isspace() or _is_cjk(before) or _is_cjk(after)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
