"""Header rows: where a file's header is, which source it belongs to, which column each cell names.

Exports often carry a title row or two above the header ('侯马市2025年3月社保缴费明细表' in a
merged A1); the header is the first of the first ``HEADER_SEARCH_ROWS`` rows that names the most
known columns. Headers match a column by its canonical English name or any Chinese alias, after
``sources.text.header_key`` (NFKC, case, spaces and '*' required-marks ignored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from layoffwatch.errors import FileRejected
from sources.schema import SOURCES, Source
from sources.text import header_key

HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class HeaderMap:
    """How a header row maps onto a source: cell position -> canonical column, and the rest."""

    columns: dict[int, str]
    extra: tuple[str, ...]


def known_header_keys(sources: Iterable[Source]) -> frozenset[str]:
    """Every header spelling (as ``header_key``) that names a column of one of ``sources``."""
    return frozenset(key for source in sources for key in source.header_map())


def header_score(cells: Sequence[object], keys: frozenset[str]) -> int:
    """How many distinct known columns a row names; title rows and data rows score 0 or 1."""
    return len({header_key(cell) for cell in cells} & keys)


def header_row_index(rows: Sequence[Sequence[object]], keys: frozenset[str]) -> int | None:
    """Index of the first row (of the first ``HEADER_SEARCH_ROWS``) naming the most known columns.

    None when no row names any known column.
    """
    scores = [header_score(row, keys) for row in rows[:HEADER_SEARCH_ROWS]]
    if not scores or max(scores) == 0:
        return None
    return scores.index(max(scores))


def source_from_folder(path: Path) -> Source | None:
    """The source named by the file's parent folder (canonical name or folder alias), if any."""
    folder = header_key(path.parent.name)
    for source in SOURCES.values():
        if folder in {header_key(name) for name in (source.name, *source.folder_aliases)}:
            return source
    return None


def detect_source(path: Path, headers: Sequence[str]) -> Source:
    """The source of a file: from its parent folder's name, else recognised from its header.

    From the header, the source whose required columns are all present wins (most matched
    columns breaking ties); anything else is rejected, naming the closest source and what it lacks.
    """
    source = source_from_folder(path)
    if source is not None:
        return source
    named = [_columns_named(source, headers) for source in SOURCES.values()]
    fits = sorted(
        (
            (len(columns), _missing(source, columns), source)
            for source, columns in zip(SOURCES.values(), named, strict=True)
        ),
        key=lambda fit: (len(fit[1]), -fit[0]),
    )
    matched, missing, best = fits[0]
    if missing:
        raise FileRejected(
            path,
            f"无法判断文件属于哪类数据：表头最接近「{best.label}」，但缺少必需的列"
            f"{_labels(best, missing)}；请把文件放进以数据类别命名的文件夹（{_folder_names()}）"
            "或指定数据类别",
            column=",".join(missing),
        )
    runner_up = fits[1]
    if not runner_up[1] and runner_up[0] == matched:
        raise FileRejected(
            path,
            f"无法判断文件属于「{best.label}」还是「{runner_up[2].label}」：两者的列都齐全；"
            f"请把文件放进以数据类别命名的文件夹（{_folder_names()}）或指定数据类别",
        )
    return best


def mapped_headers(path: Path, headers: Sequence[str], source: Source) -> HeaderMap:
    """Which header cell holds which column of ``source``.

    Rejects the file when two cells name the same column or a required column is absent;
    cells naming no column are ``extra`` (ignored), empty cells are skipped.
    """
    spellings = source.header_map()
    columns: dict[int, str] = {}
    first_cell: dict[str, str] = {}
    extra: list[str] = []
    for position, cell in enumerate(headers):
        key = header_key(cell)
        if not key:
            continue
        name = spellings.get(key)
        if name is None:
            extra.append(str(cell))
            continue
        if name in first_cell:
            raise FileRejected(
                path,
                f"列“{first_cell[name]}”和列“{cell}”都对应{source.column(name).label}（{name}），"
                "无法确定使用哪一列；请删除或改名其中一列",
                column=name,
            )
        first_cell[name] = str(cell)
        columns[position] = name
    missing = [c.name for c in source.required if c.name not in first_cell]
    if missing:
        found = "、".join(str(h) for h in headers if header_key(h)) or "（无）"
        raise FileRejected(
            path,
            f"缺少「{source.label}」必需的列{_labels(source, missing)}；文件中的列：{found}",
            column=",".join(missing),
        )
    return HeaderMap(columns, tuple(extra))


def _columns_named(source: Source, headers: Sequence[str]) -> set[str]:
    spellings = source.header_map()
    return {spellings[key] for key in map(header_key, headers) if key in spellings}


def _missing(source: Source, present: set[str]) -> list[str]:
    return [c.name for c in source.required if c.name not in present]


def _labels(source: Source, names: Sequence[str]) -> str:
    return "、".join(f"“{source.column(n).label}”（{n}）" for n in names)


def _folder_names() -> str:
    return "、".join(
        source.folder_aliases[0] if source.folder_aliases else source.name for source in SOURCES.values()
    )
