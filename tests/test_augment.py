"""helpers.augment: properties of random_resized_crop (saved from notebook 01, section 4) over many draws."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers import augment

RNG = np.random.default_rng(0)
PHOTO = RNG.integers(20, 236, (60, 90, 3), dtype=np.uint8)
# Each pixel holds its own coordinates: channel 0 its row, channel 1 its column. A crop of it shows which rows and
# columns the box covered.
ROWS, COLS = np.meshgrid(np.arange(120), np.arange(200), indexing="ij")
COORDINATES = np.stack([ROWS, COLS, np.zeros_like(ROWS)], axis=-1).astype(np.float32)


def seed(i: int) -> tf.Tensor:
    return tf.constant([7, i])


def box_of(crop: np.ndarray) -> tuple[int, int]:
    """(height, width) in source pixels of the box a crop of COORDINATES came from."""
    return int(np.ptp(crop[..., 0])) + 1, int(np.ptp(crop[..., 1])) + 1


def box_crop(i: int, area, ratio) -> np.ndarray:
    """random_resized_crop of COORDINATES, enlarged to the source's size: bilinear resizing (half-pixel centres)
    keeps the box's first and last row and column as the smallest and largest values."""
    crop = augment.random_resized_crop(COORDINATES, seed(i), (120, 200), area=area, ratio=ratio)
    return np.rint(crop.numpy())


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("size, shape", [(32, (32, 32, 3)), ((24, 40), (24, 40, 3)), (200, (200, 200, 3))])
def test_any_dtype_gives_float32_of_the_requested_size(dtype, size, shape):
    out = augment.random_resized_crop(PHOTO.astype(dtype), seed(0), size)
    assert out.dtype == tf.float32 and tuple(out.shape) == shape


def test_values_stay_in_the_input_scale():
    for i in range(20):
        out = augment.random_resized_crop(PHOTO, seed(i), 48).numpy()
        assert PHOTO.min() - 1e-3 <= out.min() and out.max() <= PHOTO.max() + 1e-3
        unit = augment.random_resized_crop(PHOTO / 255.0, seed(i), 48).numpy()
        np.testing.assert_allclose(unit * 255, out, atol=1e-3)


def test_same_seed_same_crop_other_seeds_differ():
    first = augment.random_resized_crop(PHOTO, seed(1), 32).numpy()
    np.testing.assert_array_equal(first, augment.random_resized_crop(PHOTO, seed(1), 32).numpy())
    others = [augment.random_resized_crop(PHOTO, seed(i), 32).numpy() for i in range(2, 10)]
    assert not any(np.array_equal(first, o) for o in others)


@pytest.mark.parametrize("area, ratio", [((0.1, 1.0), (0.5, 2.0)), ((0.08, 1.0), (3 / 4, 4 / 3)),
                                         ((0.3, 0.5), (1.0, 1.0))])
def test_boxes_honour_area_and_ratio_over_many_draws(area, ratio):
    boxes = [box_of(box_crop(i, area, ratio)) for i in range(150)]
    fraction = np.array([h * w / (120 * 200) for h, w in boxes])
    aspect = np.array([w / h for h, w in boxes])
    slack = 0.03  # whole pixels: a box is rounded to integer height and width
    assert area[0] - slack <= fraction.min() and fraction.max() <= area[1] + slack
    assert ratio[0] - slack * 2 <= aspect.min() and aspect.max() <= ratio[1] + slack * 2
    if area[1] - area[0] > 0.5:  # the draws spread over the range, not one corner of it
        assert fraction.min() < area[0] + 0.15 and fraction.max() > area[1] - 0.35


def test_the_whole_image_at_its_own_size_is_the_image():
    """area (1, 1) and the photo's own aspect ratio leave one possible box: the photo itself."""
    out = augment.random_resized_crop(PHOTO, seed(3), (60, 90), area=(1.0, 1.0), ratio=(1.5, 1.5))
    np.testing.assert_allclose(out.numpy(), PHOTO, atol=1e-3)


def test_works_inside_tf_data_with_per_example_seeds():
    images = tf.data.Dataset.from_tensors(PHOTO).repeat(4)
    seeds = tf.data.Dataset.random(seed=1, rerandomize_each_iteration=True).batch(2)
    crops = tf.data.Dataset.zip(images, seeds).map(lambda image, s: augment.random_resized_crop(image, s, 16))
    out = np.stack(list(crops.as_numpy_iterator()))
    assert out.shape == (4, 16, 16, 3) and len({o.tobytes() for o in out}) == 4
