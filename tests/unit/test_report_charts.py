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


# annual.html's @page: A4, 16 mm margins left and right; a chart is laid out at that width.
CONTENT_WIDTH_PT = (210 - 2 * 16) / 25.4 * 72


def test_chart_text_prints_at_8_pt_or_more():
    rates = [(f"{month} 月", month / 12) for month in range(1, 13)]
    for svg in (charts.rate_by_month(rates, "各月完成率", "没有到期事项。"),
                charts.stacked_bars([("危急", {"closed": 2, "open": 1})], [("closed", "已整改")], "隐患", "无隐患。")):
        root = _parse(svg)
        scale = CONTENT_WIDTH_PT / float(root.get("viewBox").split()[2])
        sizes = [float(text.get("font-size")) * scale for text in root.iter(f"{SVG}text")]
        assert min(sizes) >= 8, min(sizes)


def test_the_nothing_due_note_keeps_clear_of_the_grid_lines():
    root = _parse(charts.rate_by_month([("1", None), ("2", None)], "t", "没有到期事项。"))
    [note] = [text for text in root.iter(f"{SVG}text") if text.text == "没有到期事项。"]
    baseline, size = float(note.get("y")), float(note.get("font-size"))
    for line in root.iter(f"{SVG}line"):
        # The glyphs run from about a size above the baseline to a fifth of it below.
        assert not baseline - size <= float(line.get("y1")) <= baseline + size / 5, line.get("y1")
