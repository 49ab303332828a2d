"""GB/T 4754-2017 industry sections (门类): the 20 letters A–T and their Chinese names, as data."""

from __future__ import annotations

import polars as pl

SECTIONS_ZH = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}


def industry_label(code: pl.Expr) -> pl.Expr:
    """``C32 制造业`` for each code (section letter + division digits); the bare code when its letter is
    not a GB/T 4754 section, and null for a null code."""
    section = code.str.slice(0, 1).str.to_uppercase().replace_strict(SECTIONS_ZH, default=None)
    return pl.when(section.is_null()).then(code).otherwise(pl.concat_str(code, pl.lit(" "), section))
