"""The four input pipelines produce the same kind of batches, and the timing helpers count right."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from helpers import throughput


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """Three photos per class, of different sizes, repeated 4 times: 24 images."""
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("repeated")
    rng = np.random.default_rng(0)
    for label in ("hotdog", "not-hotdog"):
        (source / label).mkdir()
        for i, (h, w) in enumerate([(120, 160), (200, 150), (90, 90)]):
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(source / label / f"{i}.jpg")
    assert throughput.repeated_folder(source, 4, target) == 24
    return target


def test_repeated_folder_links_instead_of_copying(photo_folder):
    links = sorted(photo_folder.glob("*/*.jpg"))
    assert len(links) == 24 and all(p.is_symlink() for p in links)
    with pytest.raises(ValueError, match="copies must be at least 1"):
        throughput.repeated_folder(photo_folder, 0, photo_folder / "x")


@pytest.mark.parametrize("kind", sorted(throughput.PIPELINES))
def test_every_pipeline_gives_224_float_batches_in_unit_range(photo_folder, kind):
    batches = throughput.make_pipeline(kind, photo_folder)
    times, images = throughput.epoch_seconds(batches, epochs=1, warmup=0)
    assert images == 24 and len(times) == 1
    x, y = next(iter(batches))
    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    assert x.shape[1:] == (224, 224, 3) and x.dtype == np.float32
    assert -1e-3 <= x.min() and x.max() <= 1 + 1e-3
    assert set(np.unique(y)) <= {0.0, 1.0}


def test_helpers_augment_pipeline_repeats_per_run_and_changes_per_epoch(photo_folder):
    first = throughput.make_pipeline("d", photo_folder, seed=3)
    epoch_1, epoch_2 = (np.concatenate([x for x, _ in first]) for _ in range(2))
    again = np.concatenate([x for x, _ in throughput.make_pipeline("d", photo_folder, seed=3)])
    np.testing.assert_array_equal(epoch_1, again)  # a fresh run redraws the same augmentations
    assert not np.array_equal(epoch_1, epoch_2)  # each epoch sees new variants


def test_switches_for_parallel_map_and_prefetch_keep_the_result(photo_folder):
    fast = np.concatenate([x for x, _ in throughput.make_pipeline("a", photo_folder)])
    slow = np.concatenate([x for x, _ in throughput.make_pipeline("a", photo_folder, parallel=False, prefetch=False)])
    np.testing.assert_allclose(fast, slow)


def test_images_per_second_is_images_over_median_epoch(photo_folder, monkeypatch):
    monkeypatch.setattr(throughput, "epoch_seconds", lambda batches, epochs, warmup: ([2.0, 1.0, 4.0], 100))
    assert throughput.images_per_second(None) == 50.0
    with pytest.raises(ValueError, match="kind must be one of"):
        throughput.make_pipeline("e", photo_folder)


def test_simulated_training_waits_one_step_per_batch(photo_folder):
    batches = throughput.make_pipeline("a", photo_folder)  # 24 images: 1 batch of 24
    assert throughput.simulated_training_seconds(batches, 0.3) >= 0.3
    assert throughput.simulated_training_seconds(batches, 0.0, steps=1) < 5
    with pytest.raises(ValueError, match="step_seconds"):
        throughput.simulated_training_seconds(batches, -1)


def test_sequential_and_no_prefetch_switch_off_tf_data_own_optimisations(photo_folder):
    plain = throughput.make_pipeline("d", photo_folder, parallel=False, prefetch=False).options()
    assert plain.experimental_optimization.map_parallelization is False
    assert plain.experimental_optimization.inject_prefetch is False
    fast = throughput.make_pipeline("d", photo_folder).options()
    assert fast.experimental_optimization.map_parallelization is True
