"""The project config file: the shipped one loads; bad ones fail naming the file, the key and the value."""
from __future__ import annotations

import pytest

from tasking.config import POLICE_UK_FORCES, ConfigError, load_config

from shared_paths import PROJECT_ROOT


def write(tmp_path, text: str):
    path = tmp_path / "tasking.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_and_resolves_paths_beside_itself():
    config = load_config(PROJECT_ROOT / "tasking.yaml")
    assert config.forces == ["city-of-london"]
    assert config.warehouse_file == PROJECT_ROOT / "var" / "warehouse.duckdb"
    assert config.police_api.rate_per_second == 15 and config.police_api.burst == 30


def test_forty_three_territorial_forces_plus_btp_and_psni_are_known():
    assert len(POLICE_UK_FORCES) == 45
    assert {"btp", "northern-ireland", "city-of-london", "greater-manchester"} <= set(POLICE_UK_FORCES)


def test_unknown_force_names_the_file_and_suggests_the_slug(tmp_path):
    path = write(tmp_path, "forces: [city-of-londn]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: forces: unknown data.police.uk force 'city-of-londn' (did you mean 'city-of-london'?)")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("forces: [kent]\ndefault_marking: SECRETISH\n", "default_marking: 'SECRETISH' is not a Government Security Classification"),
        ("forces: [kent]\npolice_api: {burst: 99}\n", "police_api.burst: Input should be less than or equal to 30 (got 99)"),
        ("forces: [kent]\npolice_api: {base_url: ftp://x}\n", "police_api.base_url: must start with http:// or https://"),
        ("forces: [kent]\ningest: {kinds: [street, crimes]}\n", "ingest.kinds.1: Input should be 'street', 'outcomes' or 'stop-and-search'"),
        ("forces: [kent]\nwarehose: x.duckdb\n", "warehose: unknown key (a typo?)"),
        ("forces: [kent]\nextra_forces: [Demo Shire]\n", "extra_forces: not a force slug"),
        ("forces: [kent]\nextra_forces: [kent]\n", "listed under both forces and extra_forces: kent"),
        ("warehouse: x.duckdb\n", "forces: required key is missing"),
        ("- kent\n", "expected a mapping of settings at the top level"),
        ("forces: [kent\n", "not valid YAML"),
    ],
)
def test_bad_values_fail_with_one_clear_message(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no config file here"):
        load_config(tmp_path / "absent.yaml")


def test_local_only_forces_are_reported_but_not_fetched(tmp_path):
    config = load_config(write(tmp_path, "forces: [kent]\nextra_forces: [demo-shire]\nwarehouse: w.duckdb\n"))
    assert config.all_forces == ["kent", "demo-shire"]
    assert config.warehouse_file == tmp_path / "w.duckdb"
