"""The gazetteer index shipped in the package: its layout and checks, no pickle, and resolving place phrases."""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from llmextract.text import gazetteer
from llmextract.text.gazetteer import (
    Gazetteer,
    GazetteerFormatError,
    ResolvedPlace,
    get_gazetteer,
    resolve_place,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = next((ROOT / "examples" / "articles").glob("001_*.txt"))


# --------------------------------------------------------------------------------------------
# No pickle, nothing executable, nothing in the cache folder
# --------------------------------------------------------------------------------------------


class _Payload:
    """Unpickling this writes a marker file: proof that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (Path(self.marker), "pickle payload ran"))  # type: ignore[return-value]


def _plant(cache: Path, marker: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(_Payload(str(marker)))
    planted = []
    for name in ("gazetteer-v1-gnc3.0.2-p5000-000000000000.pickle", "gazetteer.pickle", "gazetteer.bin",
                 "gazetteer-v2.pickle"):
        (cache / name).write_bytes(payload)
        planted.append(cache / name)
    return planted


def test_a_pickle_planted_in_the_cache_folder_never_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "ran.txt"
    planted = _plant(cache, marker)
    monkeypatch.setenv("LLMEXTRACT_CACHE_DIR", str(cache))
    monkeypatch.setattr(gazetteer, "_GAZETTEER", None)
    gaz = get_gazetteer()
    assert gaz.lookup("Hajin") is not None and resolve_place("Hajin").precision == 1
    assert not marker.exists()
    assert sorted(cache.iterdir()) == sorted(planted)  # nothing read into use, nothing written


def test_the_cli_ignores_a_pickle_planted_in_the_cache_folder(tmp_path: Path) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "ran.txt"
    _plant(cache, marker)
    env = {**os.environ, "LLMEXTRACT_CACHE_DIR": str(cache)}
    env.pop("LLMEXTRACT_BASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "llmextract", "extract", str(SAMPLE), "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: findings in the data, not a failure to run
    assert "Deir" in done.stdout
    assert not marker.exists()


def test_the_gazetteer_module_imports_no_deserialiser_that_runs_code() -> None:
    tree = ast.parse(Path(gazetteer.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pickle", "marshal", "shelve", "dill", "joblib", "cloudpickle"}


def test_importing_llmextract_opens_no_gazetteer() -> None:
    code = ("import sys, llmextract\n"
            "g = sys.modules.get('llmextract.text.gazetteer')\n"
            "print('closed' if g is None or g._GAZETTEER is None else 'opened')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "closed"


# --------------------------------------------------------------------------------------------
# The layout and its checks
# --------------------------------------------------------------------------------------------


def test_the_shipped_index_is_whole_and_current() -> None:
    gaz = get_gazetteer()
    assert gaz.source.endswith("gazetteer.bin")
    gaz.verify()  # digest, tables, every posting and name block
    assert gaz.stale() == []  # folded as fold() folds today, with today's places.json merged in
    assert "CC BY 4.0" in gaz.meta["licence"] and "geonames" in gaz.meta["licence"].lower()
    assert len(gaz) > 170_000
    assert Path(gaz.source).stat().st_size < 12_000_000


TINY_CITIES = [
    {"geonameid": 11, "name": "Qaryat Sahl", "countrycode": "SY", "admin1code": "07", "population": 4100,
     "latitude": 34.5, "longitude": 40.25, "alternatenames": ["Sahl", "Karyat Sahel", "قرية سهل", "ksahl"],
     "core": True},
    {"geonameid": 12, "name": "Tall Wadi", "countrycode": "SY", "admin1code": "09", "population": 900,
     "latitude": 36.1, "longitude": 37.0, "alternatenames": ["Tell Wadi"], "core": False},
]
TINY_ADMIN1 = {"SY.07": {"name": "Dayr az Zawr", "ascii": "Dayr az Zawr", "geonameid": 501, "iso3166_2": "SY-DY",
                         "names": ["Deir Ezzor"]},
               "SY.09": {"name": "Halab", "ascii": "Halab", "geonameid": 502, "iso3166_2": "SY-HL", "names": []}}
TINY_PLACES = {
    "admin1": {"SY": {"07": "Deir ez-Zor"}},
    "countries": {"SY": ["Syria"]},
    "places": [
        {"name": "Deir ez-Zor", "kind": "province", "country": "SY", "admin1": "Deir ez-Zor",
         "aliases": ["Dayr al-Zawr", "Deir Ezzor"]},
        {"name": "Sahl", "kind": "town", "country": "SY", "admin1": "Deir ez-Zor", "aliases": ["Sahel"]},
        {"name": "Umm Tina", "kind": "village", "country": "SY", "admin1": "Deir ez-Zor", "aliases": ["Um Teena"]},
    ],
}


def _tiny() -> Gazetteer:
    return Gazetteer.build(TINY_CITIES, {"SY": {"name": "Syria", "iso3": "SYR", "geonameid": 163843,
                                              "population": 1}}, TINY_PLACES, admin1=TINY_ADMIN1)


def test_build_merges_the_curated_places_into_the_geonames_ones(tmp_path: Path) -> None:
    gaz = _tiny()
    town = gaz.lookup("Karyat Sahel")
    assert town is not None and (town.name, town.kind, town.geonames_id) == ("Sahl", "town", 11)
    assert (town.latitude, town.longitude, town.admin1, town.admin1_code) == (34.5, 40.25, "Deir ez-Zor", "SY.07")
    village = gaz.lookup("Um Teena")
    assert village is not None and village.geonames_id is None and village.latitude is None
    assert (village.admin1, village.admin1_code, village.country_code) == ("Deir ez-Zor", "SY.07", "SY")
    province = gaz.lookup("Dayr al-Zawr", prefer="province")
    assert province is not None and (province.kind, province.geonames_id, province.iso3166_2) == \
        ("province", 501, "SY-DY")
    assert gaz.lookup("ksahl") is None  # a machine romanisation is not kept
    # a place outside cities5000 (tier 2) is found by the resolver only
    assert gaz.lookup("Tell Wadi") is None
    found = gaz.resolve("Tell Wadi")
    assert (found.name, found.admin1, found.precision) == ("Tall Wadi", "Halab", 1)
    path = tmp_path / "tiny.bin"
    gaz.save(path)
    assert Gazetteer.load(path, verify=True).resolve("Tell Wadi") == found


@pytest.mark.parametrize("damage", ["magic", "version", "truncated", "body", "section"])
def test_a_damaged_index_is_refused_with_its_reason(tmp_path: Path, damage: str) -> None:
    data = bytearray(_tiny().to_bytes())
    if damage == "magic":
        data[0:8] = b"\x80\x04\x95PICKLE"[:8]
    elif damage == "version":
        data[8] = 99
    elif damage == "truncated":
        del data[-100:]
    elif damage == "body":
        data[-5] ^= 0xFF
    elif damage == "section":
        offset = gazetteer._HEAD.size + 8  # the first section's offset
        data[offset:offset + 8] = (len(data) * 2).to_bytes(8, "little")
    path = tmp_path / "bad.bin"
    path.write_bytes(bytes(data))
    with pytest.raises(GazetteerFormatError) as err:
        Gazetteer.load(path, verify=True)
    assert str(path) in str(err.value)


def test_an_index_folded_another_way_is_reported_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    gaz = _tiny()
    assert gaz.stale() == []
    gaz.meta["fold_probes"].append(["Deir Ezzor", "deir-ezzor"])
    assert any("fold('Deir Ezzor')" in reason for reason in gaz.stale())


# --------------------------------------------------------------------------------------------
# Resolving a claim's place phrase
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Deir ez-Zor", "Dayr al-Zawr", "Deir Ezzor", "Deir el-Zor", "دير الزور",
                                      "Deir ez-Zor Governorate"])
def test_transliterations_of_a_province_give_one_canonical_admin1(spelling: str) -> None:
    as_place = resolve_place(spelling, prefer="province")
    as_province = resolve_place("Hajin", province=spelling, country="Syria")
    for got in (as_place, as_province):
        assert (got.admin1, got.admin1_code, got.iso3166_2, got.country_code) == \
            ("Deir ez-Zor", "SY.07", "SY-DY", "SY")
    assert as_place.precision == 4 and as_place.level == "province"
    assert as_province.precision == 1 and as_province.level == "place"


@pytest.mark.parametrize("village", ["Baghouz", "al-Shaafah", "Albu Badran", "At-Tayana"])
def test_a_curated_village_resolves_to_its_province(village: str) -> None:
    got = resolve_place(village)
    assert got.precision is not None and got.precision <= 4
    assert (got.admin1, got.country_code) == ("Deir ez-Zor", "SY")
    assert got.name is not None
    assert got.latitude is None and got.longitude is None  # no coordinates typed by hand


def test_a_city_resolves_with_its_coordinates_at_precision_1() -> None:
    got = resolve_place("Maiduguri", country="Nigeria")
    assert (got.precision, got.level, got.country_code, got.admin1) == (1, "place", "NG", "Borno")
    assert got.latitude is not None and got.longitude is not None
    assert 4 < got.latitude < 14 and 2.5 < got.longitude < 15  # inside Nigeria
    entry = get_gazetteer().lookup("Maiduguri")
    assert entry is not None and (entry.latitude, entry.longitude, entry.geonames_id) == \
        (got.latitude, got.longitude, got.geonames_id)  # the data's own values


def test_the_nearest_level_that_resolves_and_its_precision() -> None:
    assert resolve_place("Xqzwv Farms", province="Borno State", country="Nigeria").precision == 4
    assert resolve_place("Xqzwv Farms", country="Nigeria") == ResolvedPlace(
        country_code="NG", geonames_id=get_gazetteer().lookup("Nigeria").geonames_id, precision=6, level="country")
    assert resolve_place("Xqzwv Farms") == ResolvedPlace()
    assert resolve_place("").precision is None
    assert resolve_place("northern Syria").precision == 5
    assert resolve_place("Syria").precision == 6
    assert resolve_place("near Hajin").precision == 2
    assert resolve_place("12 km east of Hajin").precision == 2
    assert resolve_place("Hajin district").precision == 3
    far = resolve_place("300 km northeast of Damascus")  # a reference point, not where it happened
    assert (far.precision, far.country_code, far.latitude) == (6, "SY", None)
    countryside = resolve_place("the Aleppo countryside")
    assert (countryside.precision, countryside.admin1) == (4, "Aleppo")
    assert resolve_place("North Sinai").level == "province"  # a name, not the north of Sinai


def test_a_homonym_in_another_province_is_not_taken() -> None:
    here = resolve_place("Hajin", province="Deir ez-Zor", country="Syria")
    elsewhere = resolve_place("Hajin", province="Latakia", country="Syria")
    assert here.precision == 1
    assert (elsewhere.precision, elsewhere.admin1, elsewhere.latitude) == (4, "Latakia", None)


def test_a_misspelt_province_of_a_named_country_is_still_found() -> None:
    got = resolve_place("Xqzwv Farms", province="Nangahar", country="Afghanistan")
    assert (got.admin1, got.precision) == ("Nangarhar", 4)
    assert get_gazetteer().province("Nangahar") is None  # without a country, no guessing


def test_countries_in_place_mentions() -> None:
    gaz = get_gazetteer()
    assert gaz.countries_in(["Syria", "Borno State", "Maiduguri"]) == {"SY", "NG"}
    assert gaz.countries_in(["Xqzwv"]) == frozenset()
