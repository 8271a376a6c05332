"""Latency of `routing.suggest` in-process on demo-city texts (goal: p95 ≤ 20 ms).

The gazetteer, catalogue and unit directory are loaded once, as the application does at start-up;
the classifier is replaced by a fixed fake top-k so only routing is measured.

    .venv/bin/python bench/routing_bench.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

from routing import SafetyInput, load_demo_city, suggest

# (text, address, request type, category) in the style of the demo city's tickets.
CASES: list[tuple[str, str, str, str]] = [
    ("我是桂花苑小区的住户，楼下烧烤店每天晚上营业到凌晨两点，油烟和吵闹声很大，孩子没法睡觉，希望尽快处理。",
     "东城区东华街道桂花苑小区3栋", "投诉", "环境保护/噪声污染"),
    ("小区物业公司擅自提高物业费，也没有开业主大会，电梯坏了半个月没人修，请主管部门查一查。",
     "西城区西关街道锦绣华庭", "投诉", "城乡建设/物业管理"),
    ("青石路和学院路路口的井盖松动了，晚上骑电动车经过差点摔倒，麻烦尽快派人修一下。",
     "西城区青石路与学院路交叉口", "求助",
     "城乡建设/市政设施"),
    ("我在南湖区一个工地干了三个月木工，包工头拖欠工资一万八千元一直不给，电话也不接了。",
     "南湖区湖滨街道滨江新城工地", "投诉", "劳动和社会保障/欠薪"),
    ("想问一下灵活就业人员怎么缴纳职工养老保险，在网上办还是要去窗口，需要带什么材料？",
     "演示市", "咨询", "劳动和社会保障/社保医保"),
    ("在东湖商场买的冰箱用了一周就不制冷，商家不给退换，说只能修，请帮忙协调。",
     "东城区东湖街道东湖商场", "投诉", "商贸旅游/消费维权"),
    ("月湖小区门口人行道上长期停满车辆，老人推婴儿车只能走机动车道，很危险。",
     "南湖区南苑街道月湖小区南门", "投诉", "交通运输/道路停车"),
    ("东城区和西城区交界的桥下每天晚上都有摊贩占道经营，垃圾随地扔。", "", "投诉", "城市管理/占道经营"),
    ("我在广州打工，老板拖欠三个月工资不给。", "", "投诉", "劳动和社会保障/欠薪"),
    ("湖滨花园有业主在楼顶私自搭建彩钢房，影响楼上防水，也有安全隐患。" * 4,
     "南湖区湖滨街道湖滨花园8栋", "举报", "城市管理/违章搭建"),
]
FAKE_REST = [("城乡建设/市政设施", 0.08), ("环境保护/大气污染", 0.05), ("商贸旅游/食品安全", 0.03),
             ("交通运输/公交出租", 0.02)]
NO_FINDING = SafetyInput()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    t0 = time.perf_counter()
    city = load_demo_city()
    load_ms = (time.perf_counter() - t0) * 1000
    for text, address, rtype, category in CASES:  # warm-up: builds the per-gazetteer automata
        suggest(text, address, rtype, [(category, 0.8), *FAKE_REST], NO_FINDING,
                city.gazetteer, city.catalogue, city.directory)
    times: list[float] = []
    for _ in range(args.rounds):
        for text, address, rtype, category in CASES:
            start = time.perf_counter()
            suggest(text, address, rtype, [(category, 0.8), *FAKE_REST], NO_FINDING,
                    city.gazetteer, city.catalogue, city.directory)
            times.append((time.perf_counter() - start) * 1000)
    print(f"routing.suggest — demo city: {len(city.gazetteer)} places, {len(city.catalogue)} catalogue "
          f"rules, {len(city.directory)} units (loaded in {load_ms:.1f} ms)")
    header = ("calls", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "goal p95")
    print(" ".join(f"{h:>9}" for h in header))
    p95 = percentile(times, 0.95)
    row = (f"{len(times)}", f"{statistics.fmean(times):.3f}", f"{percentile(times, 0.50):.3f}", f"{p95:.3f}",
           f"{percentile(times, 0.99):.3f}", f"{max(times):.3f}", "≤20 " + ("ok" if p95 <= 20 else "MISSED"))
    print(" ".join(f"{c:>9}" for c in row))


if __name__ == "__main__":
    main()
