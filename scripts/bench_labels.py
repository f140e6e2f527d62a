"""Benchmark label rendering against bare QR encoding.

Target: rendering 1,000 labels on the "sheet" preset takes at most 1.5 times
as long as the qrcode library alone needs to encode the same 1,000 URLs.
Each measurement runs several times and the median counts. Exits 1 on FAIL.

Usage: .venv/bin/python scripts/bench_labels.py [--count 1000] [--runs 3]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import qrcode
from flask import Flask
from flask_babel import Babel

# Let the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from municipal.assets.identity.qr import qr_url  # noqa: E402
from municipal.assets.labels.sheets import LabelItem, render_labels  # noqa: E402

PUBLIC_URL = "http://127.0.0.1:5000"
TARGET_RATIO = 1.5
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPES = {"RSV": "蓄水池", "PIP": "给水管道", "MH": "检查井", "RD": "道路", "STN": "泵站"}
STREETS = ["人民大道", "解放路", "建设路", "滨江东路", "东湖南路", "工业园三路", "文昌街", "新华北路"]
OWNERS = ["滨江区水务局", "滨江区住房和城乡建设局", "滨江区交通运输局", "滨江水务集团有限公司"]
MAINTAINERS = ["滨江区市政设施养护中心", "滨江排水有限公司", "滨江水务集团管网分公司"]
AREAS = ["东湖片区", "老城片区", "城北片区", "高新片区"]


def make_items(count: int, rng: random.Random) -> list[LabelItem]:
    """Return ``count`` labels with unique, realistic codes and Chinese names."""
    items, seen = [], set()
    while len(items) < count:
        prefix = rng.choice(list(TYPES))
        body = "".join(rng.choice(CROCKFORD) for _ in range(5))
        code = f"{prefix}-{body}-{rng.choice(CROCKFORD)}"
        if code in seen:
            continue
        seen.add(code)
        name = f"{rng.choice(STREETS)}{rng.randint(1, 300)}号{TYPES[prefix]}"
        items.append(LabelItem(
            code=code, url=qr_url(PUBLIC_URL, code), name=name, type_label=TYPES[prefix],
            owner_unit=rng.choice(OWNERS), maintenance_unit=rng.choice(MAINTAINERS),
            area=rng.choice(AREAS),
        ))
    return items


def encode_only(urls: list[str]) -> None:
    """The baseline: what the qrcode library alone needs per code."""
    for url in urls:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q)
        code.add_data(url)
        code.make(fit=True)


def show_progress(done: int, total: int) -> None:
    """Print a one-line progress counter every 100 labels."""
    if done % 100 == 0 or done == total:
        print(f"\r    rendered {done}/{total}", end="", flush=True)


def timed(function, *args, **kwargs) -> float:
    """Return the seconds ``function(*args, **kwargs)`` took."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main() -> int:
    """Run the benchmark, print the figures, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    items = make_items(args.count, random.Random(12345))
    urls = [item.url for item in items]
    app = Flask(__name__)
    Babel(app)

    encode_times, render_times = [], []
    with app.test_request_context():
        # Alternate the two measurements so drift in machine load hits both.
        for run in range(1, args.runs + 1):
            print(f"run {run}/{args.runs}")
            encode_times.append(timed(encode_only, urls))
            print(f"    qrcode only: {encode_times[-1]:.3f} s")
            render_times.append(timed(render_labels, items, "sheet", progress=show_progress))
            print(f"\n    labels:      {render_times[-1]:.3f} s")

    encode, render = statistics.median(encode_times), statistics.median(render_times)
    ratio = render / encode
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"\n{args.count} codes, median of {args.runs} runs")
    print(f"qrcode only: {encode:.3f} s")
    print(f"labels:      {render:.3f} s")
    print(f"ratio:       {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
