"""The demo district's facilities, built from district.yaml with one seeded random: where each one lies,
its attributes, and the people answering for it. Pure data out: nothing here touches the database."""
import math
import random
import zlib
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from .. import clock


@cache
def district_data() -> dict:
    """district.yaml, read once per process."""
    return yaml.safe_load(Path(__file__).with_name("district.yaml").read_text(encoding="utf-8"))


class _District:
    """Where things are, and the people answering for them, drawn from one random source."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.town_code = {}
        self.town_of = {}  # village name -> town name
        self.village_code = {}
        self.village_centre = {}
        for code, name, _en, (lon, lat), villages in district_data()["towns"]:
            self.town_code[name] = code
            for suffix, village, _village_en in villages:
                self.town_of[village] = name
                self.village_code[village] = code + suffix
                # Villages lie a few hundred metres to a few kilometres from the town's centre.
                self.village_centre[village] = (lon + rng.uniform(-0.018, 0.018), lat + rng.uniform(-0.015, 0.015))
        self.people = {}

    def villages(self, town: str) -> list[str]:
        return [v for v, t in self.town_of.items() if t == town]

    def nearest_village(self, town: str, point) -> str:
        return min(self.villages(town), key=lambda v: _distance_m(self.village_centre[v], point))

    def near(self, village: str, spread: float = 0.004) -> dict:
        lon, lat = self.village_centre[village]
        return _point(lon + self.rng.uniform(-spread, spread), lat + self.rng.uniform(-spread, spread))

    def person(self, key) -> str:
        """The same invented name every time `key` (a post) is asked for."""
        if key not in self.people:
            self.people[key] = self.rng.choice(district_data()["surnames"]) + self.rng.choice(district_data()["given_names"])
        return self.people[key]

    def phone(self) -> str:
        """An office or duty line in Fuzhou (0591): the number given for 公示."""
        return f"0591-8761{self.rng.randint(0, 9999):04d}"

    @staticmethod
    def duty_line(key) -> str:
        """A duty line fixed by `key` (a post), drawn apart from the district's random: persons added to the
        demo later must not move every facility drawn after them."""
        return f"0591-8{zlib.crc32(str(key).encode()) % 10_000_000:07d}"

    @staticmethod
    def chief(key) -> str:
        """An invented name fixed by `key`, drawn apart from the district's random like duty_line."""
        local = random.Random(str(key))
        return local.choice(district_data()["surnames"]) + local.choice(district_data()["given_names"])

    def status(self) -> str:
        draw = self.rng.random()
        return "under_repair" if draw < 0.03 else "planned" if draw < 0.05 else "in_service"

    def since(self, first_year: int, last_year: int = 2024) -> str:
        return f"{self.rng.randint(first_year, last_year)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"


def build_facilities(rng: random.Random) -> list[dict]:
    """Every demo facility as the data `services.create_asset` takes, in a fixed order."""
    district = _District(rng)
    river_segments = _rivers(district)
    runs = [_pipe_run(district, run, "sewer_segment") for run in district_data()["sewer_runs"]]
    runs += [_pipe_run(district, run, "water_pipe") for run in district_data()["water_runs"]]
    facilities = (
        _reservoirs(district) + river_segments + _roads(district)
        + [item for run in runs for item in run]
        + _standalone_manholes(district)
        + _bridges(district, river_segments) + _stations(district)
        + _toilets(district) + _old_buildings(district)
    )
    for data in facilities:
        data.setdefault("status", district.status())
        if data["status"] != "planned":
            data.setdefault("in_service_on", district.since(1985))
    return facilities


def _facility(district, type_key, name, village, geometry, attributes, **fields) -> dict:
    return {"type": type_key, "name": name, "area": district.village_code[village],
            "geometry": geometry, "attributes": attributes, **fields}


def _key_links(name: str, index: int) -> dict:
    """The 三个重点环节 as a demo district keeps them: plans approved each spring before the flood season,
    reporting in place, except at the key_links_gap reservoir of district.yaml, whose reporting is not and
    whose emergency plan was never approved, so the annual report shows a gap."""
    today = clock.today()
    spring = today.year if today.month >= 5 else today.year - 1
    if name == district_data()["key_links_gap"]:
        return {"rain_level_reporting": "未落实", "dispatch_plan_approved": date(spring - 1, 4, 12).isoformat()}
    return {"rain_level_reporting": "已落实", "dispatch_plan_approved": date(spring, 3, 3 + index).isoformat(),
            "emergency_plan_approved": date(spring, 4, 1 + index).isoformat()}


def _reservoirs(district) -> list[dict]:
    facilities = []
    for index, row in enumerate(district_data()["reservoirs"]):
        name, village, capacity, height, dam_type, impounded, completed, flood_limit, status, notes = row
        town = district.town_of[village]
        medium = capacity >= 10_000_000
        township = "乡" if town.endswith("乡") else "镇"
        persons = [
            {"role": "administrative", "name": district.person(("reservoir-admin", name)),
             "unit": "晋安区人民政府" if medium else f"{town}人民政府",
             "position": "副区长" if medium else f"副{township}长", "phone": district.phone()},
            {"role": "technical", "name": district.person(("reservoir-tech", name)),
             "unit": f"晋安区{name}管理处" if medium else f"{town}水利工作站",
             "position": "高级工程师" if medium else "工程师", "phone": district.phone()},
            {"role": "patrol", "name": district.person(("reservoir-patrol", name)),
             "unit": f"{village}村民委员会", "position": "水库巡查员", "phone": district.phone()},
        ]
        facilities.append(_facility(
            district, "reservoir", name, village, district.near(village, 0.01),
            {"capacity_m3": capacity, "dam_height_m": height, "dam_type": dam_type,
             "first_impoundment_operation": impounded, "completion_acceptance": completed,
             "flood_limit_level_m": flood_limit, **_key_links(name, index)},
            status=status, in_service_on=impounded, internal_notes=notes, persons=persons,
            owner_unit="晋安区水利局" if medium else f"{town}人民政府",
            maintenance_unit=f"晋安区{name}管理处" if medium else f"{town}水利工作站",
            address=f"福州市晋安区{town}{village}",
        ))
    return facilities


def _rivers(district) -> list[dict]:
    facilities = []
    for river, start, stretches in district_data()["rivers"]:
        number = 0
        for town, line in _stretches(district, start, stretches, wiggle=0.0015):
            number += 1
            village = district.nearest_village(town, line[len(line) // 2])
            persons = [
                {"role": "chief", "level": "district", "name": district.person(("river-district", river)),
                 "unit": "晋安区人民政府", "position": f"{river}区级河长",
                 "phone": district.duty_line(("river-district", river))},
                {"role": "chief", "level": "township", "name": district.person(("river-town", town)),
                 "unit": f"{town}人民政府", "position": f"{town}{river}河长", "river_chief_day": True,
                 "phone": district.duty_line(("river-town", town))},
                {"role": "chief", "level": "village", "name": district.person(("river-village", village)),
                 "unit": f"{village}村民委员会", "position": "党支部书记", "river_chief_day": True,
                 "phone": district.duty_line(("river-village", village))},
                {"role": "chief", "level": "river_keeper", "name": district.person(("river-keeper", river, number)),
                 "unit": f"{town}河道保洁队", "position": "河道专管员", "phone": district.phone()},
            ]
            facilities.append(_facility(
                district, "river_segment", f"{river}{town}第{number}段", village, _line(line),
                {"river_name": river, "length_m": round(_length_m(line))},
                persons=persons, owner_unit="晋安区水利局", maintenance_unit=f"{town}河道保洁队",
            ))
    return facilities


def _roads(district) -> list[dict]:
    facilities = []
    for road, road_class, rural, start, stretches in district_data()["roads"]:
        number = 0
        for town, line in _stretches(district, start, stretches, wiggle=0.0008):
            number += 1
            village = district.nearest_village(town, line[len(line) // 2])
            persons = [
                {"role": "chief", "level": "county", "name": district.person(("road-county", road)),
                 "unit": "晋安区人民政府", "position": f"{road}区级路长",
                 "phone": district.duty_line(("road-county", road))},
                {"role": "chief", "level": "township", "name": district.person(("road-town", town)),
                 "unit": f"{town}人民政府", "position": f"{town}路长", "phone": district.duty_line(("road-town", town))},
            ]
            if rural:
                persons.append({"role": "chief", "level": "village", "name": district.person(("road-village", village)),
                                "unit": f"{village}村民委员会", "position": "村级路长", "phone": district.phone()})
            facilities.append(_road(district, f"{road}{town}第{number}段", road, road_class, village, line, persons,
                                    owner="晋安区交通运输局" if rural else "晋安区住房和城乡建设局"))
    for village in district_data()["village_roads"]:
        town = district.town_of[village]
        start = district.village_centre[village]
        end = (start[0] + district.rng.uniform(-0.02, 0.02), start[1] + district.rng.uniform(0.008, 0.02))
        line = _course(district.rng, start, end, 4, 0.0012)
        persons = [
            {"role": "chief", "level": "township", "name": district.person(("road-town", town)),
             "unit": f"{town}人民政府", "position": f"{town}路长", "phone": district.duty_line(("road-town", town))},
            {"role": "chief", "level": "village", "name": district.person(("road-village", village)),
             "unit": f"{village}村民委员会", "position": "村级路长", "phone": district.phone()},
        ]
        facilities.append(_road(district, f"{village}村道", f"{village}村道", "村道", village, line, persons,
                                owner=f"{town}人民政府"))
    return facilities


def _road(district, name, road, road_class, village, line, persons, owner) -> dict:
    width = {"主干路": 40, "次干路": 24, "县道": 8.5, "乡道": 6.5, "村道": 4.5}[road_class]
    return _facility(
        district, "road_segment", name, village, _line(line),
        {"road_name": road, "road_class": road_class, "length_m": round(_length_m(line)), "width_m": width},
        persons=persons, owner_unit=owner, maintenance_unit="晋安区公路养护站" if owner.endswith("运输局")
        else "晋安区市政设施养护中心",
    )


def _pipe_run(district, run, type_key) -> list[dict]:
    """A run's segments and the manholes at their joints, chainage counted from the run's start."""
    street, town, start, end, sewer_kind, diameter, material = run
    segments = district_data()["run_segments"][type_key]
    network = sewer_kind or "给水"
    tag = {"污水": "W", "雨水": "Y", "合流": "H", "给水": "J"}[network]
    joints = [_lerp(start, end, i / segments) for i in range(segments + 1)]
    installed = district.since(1995, 2022)
    is_sewer = type_key == "sewer_segment"
    owner = "晋安区住房和城乡建设局" if is_sewer else "福州水务集团有限公司"
    maintainer = "晋安区市政设施养护中心" if is_sewer else "福州市自来水有限公司晋安分公司"
    facilities, chainage = [], 0.0
    for i, point in enumerate(joints):
        village = district.nearest_village(town, point)
        facilities.append(_facility(
            district, "manhole", f"{street}{network}井 {tag}{i + 1:02d}", village, _point(*point),
            {"network": network, "depth_m": round(district.rng.uniform(1.2, 4.5), 1),
             "cover_material": district.rng.choice(("球墨铸铁", "球墨铸铁", "复合材料"))},
            owner_unit=owner, maintenance_unit=maintainer, address=f"{town}{street}",
        ))
        if i == segments:
            break
        line = [joints[i], joints[i + 1]]
        length = _length_m(line)
        attributes = {"diameter_mm": diameter, "material": material, "length_m": round(length, 1),
                      "installed_on": installed}
        if is_sewer:
            attributes["sewer_kind"] = sewer_kind
        name = f"{street}{network}管 {tag}{i + 1:02d}—{tag}{i + 2:02d}"
        facilities.append(_facility(
            district, type_key, name, village, _line(line), attributes,
            chainage_start=round(chainage, 1), chainage_end=round(chainage + length, 1),
            owner_unit=owner, maintenance_unit=maintainer, address=f"{town}{street}",
        ))
        chainage += length
    return facilities


def _standalone_manholes(district) -> list[dict]:
    """Power, telecom and rain-water manholes spread over the villages, mostly in the city."""
    urban = [v for v, t in district.town_of.items() if t.endswith("街道") or t in ("岳峰镇", "鼓山镇")]
    everywhere = list(district.town_of)
    facilities = []
    for number in range(1, district_data()["standalone_manholes"] + 1):
        village = district.rng.choice(urban if district.rng.random() < 0.8 else everywhere)
        network = district.rng.choice(("雨水", "雨水", "污水", "电力", "通信"))
        owner = {"电力": "国网福州供电公司", "通信": "中国电信福州分公司"}.get(network, "晋安区住房和城乡建设局")
        facilities.append(_facility(
            district, "manhole", f"{village}{network}井 {number:03d}", village, district.near(village),
            {"network": network, "depth_m": round(district.rng.uniform(0.8, 3.5), 1),
             "cover_material": district.rng.choice(("球墨铸铁", "复合材料", "混凝土"))},
            owner_unit=owner, maintenance_unit="晋安区市政设施养护中心" if owner.endswith("建设局") else owner,
            address=f"{district.town_of[village]}{village}",
        ))
    return facilities


def _bridges(district, river_segments) -> list[dict]:
    facilities = []
    for name, river, index, category in district_data()["urban_bridges"]:
        segment = [s for s in river_segments if s["attributes"]["river_name"] == river][index]
        coords = segment["geometry"]["coordinates"]
        village = next(v for v, code in district.village_code.items() if code == segment["area"])
        facilities.append(_facility(
            district, "bridge", name, village, _point(*coords[len(coords) // 2]),
            {"regime": "CJJ99", "maint_category": category, "opening_date": district.since(1980, 2018),
             "span_m": round(district.rng.uniform(25, 90), 1)},
            owner_unit="晋安区住房和城乡建设局", maintenance_unit="晋安区市政设施养护中心",
        ))
    for name, village, level in district_data()["rural_bridges"]:
        facilities.append(_facility(
            district, "bridge", name, village, district.near(village, 0.006),
            {"regime": "JTG", "maint_level": level, "opening_date": district.since(1965, 2020),
             "span_m": round(district.rng.uniform(12, 120), 1)},
            owner_unit="晋安区交通运输局", maintenance_unit="晋安区公路养护站",
        ))
    return facilities


def _stations(district) -> list[dict]:
    facilities = []
    for name, village, flow, pumps in district_data()["pump_stations"]:
        facilities.append(_facility(
            district, "pump_station", name, village, district.near(village),
            {"design_flow_m3_per_h": flow, "pumps": pumps},
            owner_unit="福州市城区水系联排联调中心" if flow >= 7_000 else f"{district.town_of[village]}人民政府",
            maintenance_unit="晋安区排涝站运行维护中心",
        ))
    for name, village, supply in district_data()["water_stations"]:
        facilities.append(_facility(
            district, "water_station", name, village, district.near(village),
            {"supply_m3_per_day": supply},
            owner_unit="福州水务集团有限公司" if supply >= 10_000 else f"{district.town_of[village]}人民政府",
            maintenance_unit="福州市自来水有限公司晋安分公司",
        ))
    return facilities


def _toilets(district) -> list[dict]:
    villages = list(district.town_of)
    facilities = []
    for number in range(district_data()["public_toilets"]):
        village = villages[number % len(villages)]
        town = district.town_of[village]
        urban = town.endswith("街道")
        facilities.append(_facility(
            district, "public_toilet", f"{village}公厕{number // len(villages) + 1}号", village, district.near(village),
            {"toilet_class": "一类" if urban else district.rng.choice(("二类", "三类")),
             "stalls": district.rng.randint(4, 16) if urban else district.rng.randint(2, 8),
             "opening_hours": "全天" if urban else "06:00—22:00"},
            owner_unit="晋安区城市管理局" if urban else f"{town}人民政府", maintenance_unit="晋安区环卫服务中心",
            persons=[{"role": "toilet_chief", "name": district.chief(("toilet", village, number)),
                      "unit": "晋安区环卫服务中心" if urban else f"{village}村民委员会", "position": "厕长",
                      "phone": district.duty_line(("toilet", village, number))}],
        ))
    return facilities


def _old_buildings(district) -> list[dict]:
    facilities = []
    for name, village, built, floors, structure, grade in district_data()["old_buildings"]:
        town = district.town_of[village]
        facilities.append(_facility(
            district, "old_building", name, village, district.near(village, 0.003),
            {"built_year": built, "floors": floors, "structure": structure, "grade": grade},
            owner_unit=f"{village}村民委员会", maintenance_unit=f"{town}人民政府",
            address=f"福州市晋安区{town}{village}",
            internal_notes="D级危房：已停止使用，住户已搬离，每日巡查至修缮完成。" if grade == "D" else "",
            in_service_on=None, status="out_of_service" if grade == "D" else "in_service",
            persons=[{"role": "building_chief", "name": district.chief(("building", name)),
                      "unit": f"{village}村民委员会", "position": "楼长", "phone": district.duty_line(("building", name))}],
        ))
    return facilities


# --- geometry -----------------------------------------------------------------------


def _stretches(district, start, stretches, wiggle):
    """(town, line) for every segment of a river or road course."""
    for town, end, segments in stretches:
        for i in range(segments):
            a, b = _lerp(start, end, i / segments), _lerp(start, end, (i + 1) / segments)
            yield town, _course(district.rng, a, b, 3, wiggle)
        start = end


def _course(rng, start, end, inner, wiggle) -> list:
    """A line from start to end through `inner` points pushed sideways: rivers and roads are not straight."""
    points = [start]
    for i in range(1, inner + 1):
        lon, lat = _lerp(start, end, i / (inner + 1))
        points.append((lon + rng.uniform(-wiggle, wiggle), lat + rng.uniform(-wiggle, wiggle)))
    return points + [end]


def _lerp(a, b, t):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _point(lon, lat) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _line(points) -> dict:
    return {"type": "LineString", "coordinates": [[round(lon, 6), round(lat, 6)] for lon, lat in points]}


def _distance_m(a, b) -> float:
    # Equirectangular: exact enough over the few kilometres of a segment.
    mean_lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * 111_320 * math.cos(mean_lat), (b[1] - a[1]) * 110_574)


def _length_m(points) -> float:
    return sum(_distance_m(a, b) for a, b in zip(points, points[1:]))
