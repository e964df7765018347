"""Fonts that render any script: DejaVu (shipped with matplotlib) first, a CJK font when installed.

Debian's fonts-noto-cjk provides the CJK font; without it, Chinese or Japanese
names fall back to DejaVu and show as empty boxes, and the report says so in
its log instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib import font_manager

DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
CJK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def cjk_font() -> Path | None:
    return next((Path(p) for p in CJK_CANDIDATES if Path(p).is_file()), None)


def matplotlib_families() -> list[str]:
    families = ["DejaVu Sans"]
    path = cjk_font()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        families.append(font_manager.FontProperties(fname=str(path)).get_name())
    return families
