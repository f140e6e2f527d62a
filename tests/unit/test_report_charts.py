"""The report's charts: SVG text with the caller's words, bars only where there is a number."""
import xml.etree.ElementTree as ET

from municipal.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str):
    return ET.fromstring(svg)


def test_rate_by_month_draws_a_bar_per_month_with_a_rate():
    rates = [(f"{month} 月", None if month > 3 else month / 4) for month in range(1, 13)]
    root = _parse(charts.rate_by_month(rates, "各月完成率 <2025>", "没有到期事项。"))
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 3
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "各月完成率 <2025>" in texts and "12 月" in texts and "75%" in texts
    assert "没有到期事项。" not in texts


def test_rate_by_month_says_so_when_nothing_fell_due():
    root = _parse(charts.rate_by_month([("1", None), ("2", None)], "t", "没有到期事项。"))
    assert root.findall(f"{SVG}rect") == []
    assert "没有到期事项。" in [text.text for text in root.iter(f"{SVG}text")]


def test_stacked_bars_split_each_row_by_series():
    rows = [("危急", {"closed": 2, "open": 1}), ("低", {"closed": 0, "open": 0})]
    root = _parse(charts.stacked_bars(rows, [("closed", "已整改"), ("open", "未整改")], "隐患", "无隐患。"))
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 2 + 2  # two legend keys, two segments of the first row
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts.count("3") == 1 and "0" in texts and "无隐患。" not in texts
    empty = _parse(charts.stacked_bars([("低", {})], [("open", "未整改")], "隐患", "无隐患。"))
    assert "无隐患。" in [text.text for text in empty.iter(f"{SVG}text")]
