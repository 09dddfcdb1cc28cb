"""The asset registry is complete and consistent with the mirror and the notebooks."""

from __future__ import annotations

from helpers import assets
from helpers.paths import PROJECT_ROOT


def test_every_asset_says_what_it_is_its_licence_and_who_needs_it():
    notebooks = {p.stem for p in (PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for asset in assets.ASSETS.values():
        assert asset.title and asset.licence, asset.name
        assert asset.needed_by and set(asset.needed_by) <= notebooks | {assets.TESTS}, asset.name
        for spec in asset.specs():
            assert spec.urls and all(u.startswith(("https://", "http://")) for u in spec.urls), asset.name
            assert spec.root in ("data", "keras")
            # Every file can be checked: a published checksum, the mirror's, or a load test.
            assert spec.online_hash or spec.mirror_sha256 or spec.validate, spec.target


def test_checksums_name_their_algorithm():
    for asset in assets.ASSETS.values():
        for spec in asset.specs():
            if spec.online_hash:
                algorithm, digest = spec.online_hash.split(":")
                assert len(digest) == {"md5": 32, "sha1": 40, "sha256": 64}[algorithm], spec.target


def test_mirror_files_are_listed_with_size_and_sha256():
    for asset in assets.ASSETS.values():
        for spec in asset.specs():
            if spec.mirror_path:
                assert len(spec.mirror_sha256) == 64 and spec.size > 0, spec.mirror_path


def test_default_set_works_offline_and_optional_ones_are_marked():
    for name in assets.DEFAULT_ASSETS:
        assert all(spec.mirror_path for spec in assets.get(name).specs()), f"{name} is required but not in the mirror"
    assert {a.name for a in assets.ASSETS.values() if a.optional} == {"mnist", "hotdog", "resnet50"}


def test_hotdog_mini_checksum_list_covers_every_photo():
    listed = assets.member_checksums(assets.get("hotdog-mini"))
    assert len(listed) == 200
    splits = {path.split("/")[0] + "/" + path.split("/")[1] for path in listed}
    assert splits == {"train/hotdog", "train/not-hotdog", "test/hotdog", "test/not-hotdog"}
