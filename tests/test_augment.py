"""helpers.augment: properties of every op (shapes, ranges, seeds, statistics over many draws)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from helpers import augment

matplotlib.use("Agg")

RNG = np.random.default_rng(0)
# An odd-sized RGB image with no pure black or white pixels (so erasing and clipping are visible).
IMAGE = RNG.integers(20, 236, (37, 53, 3), dtype=np.uint8)
SQUARE = RNG.integers(20, 236, (9, 9, 3), dtype=np.uint8)

# Every op with parameters that make it change the image.
OPS = {
    "flip_left_right": (augment.random_flip_left_right, {}),
    "flip_up_down": (augment.random_flip_up_down, {}),
    "crop": (augment.random_crop, {"size": (20, 30)}),
    "resized_crop": (augment.random_resized_crop, {"size": (24, 16), "area": (0.1, 1.0), "ratio": (0.5, 2.0)}),
    "brightness": (augment.random_brightness, {"factor": 0.5}),
    "contrast": (augment.random_contrast, {"factor": 0.5}),
    "saturation": (augment.random_saturation, {"factor": 0.5}),
    "hue": (augment.random_hue, {"delta": 0.5}),
    "color_jitter": (augment.color_jitter, {}),
    "noise": (augment.gaussian_noise, {"stddev": 0.1}),
    "blur": (augment.random_blur, {"sigma": (0.5, 2.0)}),
    "erasing": (augment.random_erasing, {"p": 1.0}),
    "rotation": (augment.random_rotation, {"degrees": 40}),
    "translation": (augment.random_translation, {"fraction": 0.3, "fill_mode": "constant"}),
    "pipeline": (augment.pipeline, {"size": (24, 24)}),
}


def out_hw(name: str, image_hw: tuple[int, int]) -> tuple[int, int]:
    params = OPS[name][1]
    return tuple(params["size"]) if "size" in params else image_hw


@pytest.fixture(params=sorted(OPS), ids=sorted(OPS))
def op(request):
    function, params = OPS[request.param]
    return request.param, function, params


# ---------------------------------------------------------------- every op
def test_single_image_keeps_dtype_and_gives_the_expected_shape(op):
    name, function, params = op
    for image in (IMAGE, IMAGE.astype(np.float32) / 255.0):
        result = function(image, seed=(1, 2), **params)
        assert result.dtype == tf.as_dtype(image.dtype)
        assert tuple(result.shape) == (*out_hw(name, (37, 53)), 3)


def test_float_results_stay_in_the_unit_range(op):
    name, function, params = op
    result = function(IMAGE.astype(np.float32) / 255.0, seed=3, **params).numpy()
    assert result.min() >= 0.0 and result.max() <= 1.0 + 1e-6


def test_a_batch_gives_a_batch_with_a_draw_per_image(op):
    name, function, params = op
    batch = np.stack([IMAGE] * 8)
    result = function(batch, seed=5, **params).numpy()
    assert result.shape == (8, *out_hw(name, (37, 53)), 3)
    assert len({r.tobytes() for r in result}) > 1, f"{name}: all 8 images got the same draw"


def test_same_seed_same_result_and_other_seeds_differ(op):
    name, function, params = op
    batch = np.stack([IMAGE] * 4)
    first = function(batch, seed=(7, 8), **params).numpy()
    again = function(batch, seed=(7, 8), **params).numpy()
    np.testing.assert_array_equal(first, again)
    others = [function(batch, seed=(7, s), **params).numpy() for s in (9, 10, 11)]
    assert all(not np.array_equal(first, other) for other in others), f"{name}: a different seed gave the same"


def test_seed_as_int_pair_and_tensor_are_equivalent(op):
    name, function, params = op
    a = function(IMAGE, seed=4, **params).numpy()
    b = function(IMAGE, seed=(4, 0), **params).numpy()
    c = function(IMAGE, seed=tf.constant([4, 0], tf.int32), **params).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_ops_run_inside_a_graph_with_unknown_image_size(op):
    name, function, params = op
    graph_fn = tf.function(lambda x, s: function(x, s, **params),
                           input_signature=[tf.TensorSpec([None, None, 3], tf.uint8), tf.TensorSpec([2], tf.int64)])
    result = graph_fn(tf.constant(IMAGE), tf.constant([1, 2], tf.int64))
    eager = function(IMAGE, seed=(1, 2), **params)
    assert tuple(result.shape) == tuple(eager.shape)


# ---------------------------------------------------------------- seeds and inputs
@pytest.mark.parametrize("seed", [None, True, 1.5, (1, 2, 3), "7", np.zeros((2, 2), np.int64)])
def test_bad_seeds_are_rejected(seed):
    with pytest.raises(ValueError, match="seed"):
        augment.random_flip_left_right(IMAGE, seed)


def test_a_float_seed_tensor_is_rejected():
    with pytest.raises(ValueError, match="integer"):
        augment.as_seed(tf.constant([1.0, 2.0]))


@pytest.mark.parametrize("image, message", [
    (np.zeros((8, 8), np.uint8), "channel axis"),
    (np.zeros((2, 2, 8, 8, 3), np.uint8), "one image"),
    (np.zeros((8, 8, 3), np.int32), "uint8"),
])
def test_bad_images_are_rejected_clearly(image, message):
    with pytest.raises(ValueError, match=message):
        augment.random_brightness(image, seed=1)


def test_float_images_in_0_255_are_rejected_by_the_colour_ops():
    with pytest.raises(ValueError, match="divide by 255"):
        augment.random_brightness(IMAGE.astype(np.float32), seed=1)


# ---------------------------------------------------------------- flips
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_flips_are_exact_mirrors(dtype):
    image = IMAGE.astype(dtype)
    np.testing.assert_array_equal(augment.random_flip_left_right(image, 1, p=1.0).numpy(), image[:, ::-1])
    np.testing.assert_array_equal(augment.random_flip_up_down(image, 1, p=1.0).numpy(), image[::-1])
    np.testing.assert_array_equal(augment.random_flip_left_right(image, 1, p=0.0).numpy(), image)


def test_a_batch_of_flips_holds_only_originals_and_mirrors_of_each_kind():
    batch = np.stack([IMAGE] * 32)
    result = augment.random_flip_left_right(batch, seed=2).numpy()
    mirrored = [np.array_equal(r, IMAGE[:, ::-1]) for r in result]
    original = [np.array_equal(r, IMAGE) for r in result]
    assert all(m or o for m, o in zip(mirrored, original, strict=True))
    assert 4 <= sum(mirrored) <= 28


def test_flip_probability_is_respected_over_many_images():
    batch = np.stack([SQUARE] * 2000)
    result = augment.random_flip_up_down(batch, seed=3, p=0.2).numpy()
    share = np.mean([not np.array_equal(r, SQUARE) for r in result])
    assert 0.17 < share < 0.23


def test_flip_rejects_a_bad_probability():
    with pytest.raises(ValueError, match="probability"):
        augment.random_flip_left_right(IMAGE, 1, p=1.5)


# ---------------------------------------------------------------- crops
def test_random_crop_is_an_exact_window_of_the_image():
    crop = augment.random_crop(IMAGE, seed=9, size=(20, 30)).numpy()
    windows = [(y, x) for y in range(37 - 20 + 1) for x in range(53 - 30 + 1)
               if np.array_equal(IMAGE[y:y + 20, x:x + 30], crop)]
    assert len(windows) == 1


def test_random_crop_positions_vary_and_cover_the_image():
    rows, cols = np.mgrid[0:40, 0:50]
    batch = np.stack([np.stack([rows, cols], axis=-1)] * 400).astype(np.uint8)  # each pixel holds (y, x)
    crops = augment.random_crop(batch, seed=1, size=10).numpy()
    tops, lefts = crops[:, 0, 0, 0], crops[:, 0, 0, 1]
    assert set(tops) == set(range(31)) and set(lefts) == set(range(41))  # every offset occurs


def test_random_crop_rejects_an_image_smaller_than_the_crop():
    with pytest.raises(ValueError, match="smaller than the crop"):
        augment.random_crop(np.zeros((100, 80, 3), np.uint8), seed=1, size=(200, 200))


def test_random_crop_checks_unknown_sizes_at_run_time():
    crop = tf.function(lambda x: augment.random_crop(x, seed=1, size=(20, 20)),
                       input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller than the crop"):
        crop(tf.zeros((10, 40, 3), tf.uint8))


@pytest.mark.parametrize("shape", [(300, 451), (451, 300), (64, 64), (1000, 50)])
@pytest.mark.parametrize("area, ratio", [((0.1, 1.0), (0.5, 2.0)), ((0.08, 1.0), (3 / 4, 4 / 3)),
                                         ((0.3, 0.5), (1.0, 1.0)), ((0.02, 0.33), (0.3, 3.3))])
def test_crop_boxes_honour_area_and_aspect_ratio_over_many_draws(shape, area, ratio):
    height, width = shape
    boxes = augment.sample_crop_boxes(height, width, 2000, seed=(1, 2), area=area, ratio=ratio).numpy()
    y, x, h, w = boxes.T.astype(float)
    fraction, aspect = h * w / (height * width), w / h
    assert (y >= 0).all() and (x >= 0).all() and (y + h <= height).all() and (x + w <= width).all()
    whole = (h == height) & (w == width)  # the fallback when no try fits
    inside = ((fraction >= area[0] - 1e-9) & (fraction <= area[1] + 1e-9)
              & (aspect >= ratio[0] - 0.5 / h) & (aspect <= ratio[1] + 0.5 / h))  # whole pixels: w is rounded
    assert (inside | whole).all()
    if shape == (64, 64) or shape == (300, 451):  # roomy images: the ranges are met, and covered
        assert inside.mean() > 0.99
        if ratio[0] < ratio[1]:
            assert aspect.min() < ratio[0] * 1.1 and aspect.max() > ratio[1] / 1.1
        assert fraction.min() < area[0] * 1.2 and fraction.max() > area[1] * 0.8


def test_an_impossible_request_falls_back_to_the_whole_image():
    boxes = augment.sample_crop_boxes(100, 100, 50, seed=1, area=(0.9, 1.0), ratio=(3.0, 4.0)).numpy()
    np.testing.assert_array_equal(boxes, np.tile([0, 0, 100, 100], (50, 1)))


def test_sample_crop_boxes_checks_its_arguments():
    for n in (0, 2.5, True):
        with pytest.raises(ValueError, match="n must"):
            augment.sample_crop_boxes(10, 10, n, seed=1)
    with pytest.raises(ValueError, match="height and width"):
        augment.sample_crop_boxes(0, 10, 5, seed=1)


@pytest.mark.parametrize("area, ratio, message", [
    ((0.0, 1.0), (0.5, 2.0), "area"), ((0.5, 1.2), (0.5, 2.0), "area"), ((0.8, 0.2), (0.5, 2.0), "area"),
    ((0.1, 1.0), (2.0, 1.0), "ratio"), ((0.1, 1.0), (-1.0, 2.0), "ratio"), (0.5, (0.5, 2.0), "pairs"),
])
def test_crop_ranges_are_validated(area, ratio, message):
    with pytest.raises(ValueError, match=message):
        augment.random_resized_crop(IMAGE, 1, size=10, area=area, ratio=ratio)


@pytest.mark.parametrize("size", [0, (10, -1), (10,), "big", (2.5, 3)])
def test_bad_sizes_are_rejected(size):
    with pytest.raises(ValueError, match="size"):
        augment.random_resized_crop(IMAGE, 1, size=size)


def test_resized_crop_enlarges_small_images_and_keeps_grayscale_and_rgba():
    for channels in (1, 3, 4):
        tiny = RNG.integers(0, 256, (5, 7, channels), dtype=np.uint8)
        assert augment.random_resized_crop(tiny, 1, size=(32, 48)).shape == (32, 48, channels)
        assert augment.pipeline(tiny, 1, size=16, saturation=0, hue=0).shape == (16, 16, channels)


def test_resized_crop_of_the_whole_image_is_a_plain_resize():
    image = IMAGE.astype(np.float32) / 255.0
    whole = augment.random_resized_crop(image, 1, size=(20, 28), area=(1.0, 1.0), ratio=(53 / 37, 53 / 37))
    np.testing.assert_allclose(whole.numpy(), tf.image.resize(image, (20, 28)).numpy(), atol=1e-6)
    batch = augment.random_resized_crop(np.stack([image] * 2), 1, size=(20, 28), area=(1.0, 1.0),
                                        ratio=(53 / 37, 53 / 37))
    np.testing.assert_allclose(batch.numpy()[0], tf.image.resize(image, (20, 28)).numpy(), atol=1e-4)


# ---------------------------------------------------------------- colour
GRAYISH = (0.25 + 0.5 * RNG.random((16, 16, 3))).astype(np.float32)  # room to move without clipping
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@pytest.mark.parametrize("factor, direction", [((1.2, 1.5), 1), ((0.5, 0.8), -1)])
def test_brightness_moves_the_mean_in_the_requested_direction(factor, direction):
    batch = np.stack([IMAGE] * 16)
    result = augment.random_brightness(batch, seed=1, factor=factor).numpy().astype(float)
    change = result.mean(axis=(1, 2, 3)) - IMAGE.mean()
    assert (np.sign(change) == direction).all()


def test_brightness_multiplies_by_the_factor():
    result = augment.random_brightness(GRAYISH * 0.5, seed=1, factor=(1.5, 1.5)).numpy()
    np.testing.assert_allclose(result, GRAYISH * 0.75, atol=1e-6)


def test_contrast_keeps_the_mean_and_scales_the_spread():
    result = augment.random_contrast(GRAYISH, seed=1, factor=(0.5, 0.5)).numpy()
    np.testing.assert_allclose(result, GRAYISH * 0.5 + GRAYISH.mean() * 0.5, atol=1e-5)
    assert abs(result.mean() - GRAYISH.mean()) < 1e-5 and result.std() < GRAYISH.std() * 0.6


def test_brightness_then_contrast_compose_as_documented():
    image = GRAYISH * 0.6
    result = augment.color_jitter(image, 1, brightness=(1.2, 1.2), contrast=(0.5, 0.5), saturation=0, hue=0)
    brighter = image * 1.2
    expected = 0.5 * brighter + 0.5 * brighter.mean()
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-5)


def test_saturation_zero_gives_gray_and_one_changes_nothing():
    gray = augment.random_saturation(GRAYISH, seed=1, factor=(0.0, 0.0)).numpy()
    np.testing.assert_allclose(gray[..., 0], gray[..., 1], atol=1e-6)
    np.testing.assert_allclose(gray[..., 0], GRAYISH @ LUMA, atol=1e-5)
    same = augment.random_saturation(GRAYISH, seed=1, factor=(1.0, 1.0)).numpy()
    np.testing.assert_allclose(same, GRAYISH, atol=1e-6)


def test_hue_turns_colours_keeps_luma_and_leaves_grays_alone():
    np.testing.assert_allclose(augment.random_hue(GRAYISH, 1, delta=0.0).numpy(), GRAYISH, atol=1e-6)
    mild = (0.4 + 0.2 * RNG.random((8, 8, 3))).astype(np.float32)  # no clipping after any turn
    turned = augment.random_hue(mild, 1, delta=(0.3, 0.3)).numpy()
    assert np.abs(turned - mild).max() > 0.02
    np.testing.assert_allclose(turned @ LUMA, mild @ LUMA, atol=1e-5)
    gray = np.full((4, 4, 3), 0.4, np.float32)
    np.testing.assert_allclose(augment.random_hue(gray, 2, delta=0.5).numpy(), gray, atol=1e-5)
    half_turns = [augment.random_hue(mild, 1, delta=(d, d)).numpy() for d in (0.5, -0.5)]
    np.testing.assert_allclose(*half_turns, atol=1e-5)


@pytest.mark.parametrize("start, expected", [((1, 0, 0), 1), ((0, 1, 0), 2), ((0, 0, 1), 0)])
def test_hue_turns_in_the_direction_of_tf_image(start, expected):
    """A third of a turn: red -> green -> blue -> red, as tf.image.adjust_hue(image, 1/3) does."""
    pixel = np.array(start, np.float32).reshape(1, 1, 3)
    ours = augment.random_hue(pixel, 1, delta=(1 / 3, 1 / 3)).numpy().ravel()
    reference = tf.image.adjust_hue(pixel, 1 / 3).numpy().ravel()
    assert ours.argmax() == reference.argmax() == expected


def test_color_jitter_with_everything_off_changes_nothing():
    result = augment.color_jitter(IMAGE, 1, brightness=0, contrast=0, saturation=0, hue=0).numpy()
    np.testing.assert_array_equal(result, IMAGE)


@pytest.mark.parametrize("kwargs, message", [
    ({"brightness": -0.1}, "brightness"), ({"contrast": (1.5, 0.5)}, "contrast"), ({"saturation": "a"}, "saturation"),
    ({"hue": 0.6}, "hue"), ({"hue": (-0.7, 0.1)}, "hue"),
])
def test_colour_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        augment.color_jitter(IMAGE, 1, **kwargs)


def test_grayscale_takes_brightness_and_contrast_but_not_saturation_or_hue():
    gray = IMAGE[..., :1]
    assert augment.color_jitter(gray, 1, saturation=0, hue=0).shape == (37, 53, 1)
    assert augment.random_brightness(gray, 1).shape == (37, 53, 1)
    for call in (lambda: augment.random_saturation(gray, 1), lambda: augment.random_hue(gray, 1),
                 lambda: augment.color_jitter(gray, 1), lambda: augment.pipeline(gray, 1, size=8)):
        with pytest.raises(ValueError, match="grayscale"):
            call()


def test_other_channel_counts_are_rejected_by_colour_ops():
    with pytest.raises(ValueError, match="channels"):
        augment.random_brightness(np.zeros((4, 4, 2), np.uint8), 1)


@pytest.mark.parametrize("function, params", [
    (augment.color_jitter, {}), (augment.gaussian_noise, {"stddev": 0.2}), (augment.random_erasing, {"p": 1.0}),
])
def test_rgba_keeps_its_alpha_channel(function, params):
    rgba = np.concatenate([IMAGE, RNG.integers(0, 256, (37, 53, 1), dtype=np.uint8)], axis=-1)
    result = function(rgba, 3, **params).numpy()
    np.testing.assert_array_equal(result[..., 3], rgba[..., 3])
    assert not np.array_equal(result[..., :3], rgba[..., :3])


# ---------------------------------------------------------------- noise, blur, erasing
def test_noise_has_the_requested_spread_and_zero_changes_nothing():
    flat = np.full((64, 64, 3), 0.5, np.float32)
    noisy = augment.gaussian_noise(flat, 1, stddev=0.1).numpy()
    assert abs(noisy.std() - 0.1) < 0.01 and abs(noisy.mean() - 0.5) < 0.01
    np.testing.assert_array_equal(augment.gaussian_noise(IMAGE, 1, stddev=0.0).numpy(), IMAGE)
    with pytest.raises(ValueError, match="stddev"):
        augment.gaussian_noise(IMAGE, 1, stddev=-1)


def test_blur_smooths_noise_and_keeps_flat_images_flat():
    noise = RNG.random((32, 32, 3)).astype(np.float32)
    blurred = augment.random_blur(noise, 1, sigma=2.0).numpy()
    assert blurred.std() < noise.std() / 2
    assert abs(blurred.mean() - noise.mean()) < 0.02
    flat = np.full((6, 5, 1), 0.3, np.float32)  # also: smaller than the kernel
    np.testing.assert_allclose(augment.random_blur(flat, 1, sigma=3.0).numpy(), flat, atol=1e-6)
    for sigma in (0.0, (0.5, 20.0), -1.0):
        with pytest.raises(ValueError, match="sigma"):
            augment.random_blur(noise, 1, sigma=sigma)


def test_stronger_blur_is_smoother():
    noise = RNG.random((32, 32, 1)).astype(np.float32)
    spreads = [augment.random_blur(noise, 1, sigma=s).numpy().std() for s in (0.5, 1.0, 2.0)]
    assert spreads[0] > spreads[1] > spreads[2]


def test_erasing_fills_one_rectangle_of_the_requested_area():
    batch = np.stack([IMAGE] * 200)
    erased = augment.random_erasing(batch, 1, p=1.0, area=(0.1, 0.3), ratio=(0.5, 2.0), value=0.0).numpy()
    zero = (erased == 0).all(axis=-1)
    fractions = zero.mean(axis=(1, 2))
    assert fractions.min() > 0.07 and fractions.max() < 0.34  # whole pixels around the sampled box
    for mask in zero[:20]:
        rows, cols = np.nonzero(mask)
        assert mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # a filled rectangle
    np.testing.assert_array_equal(erased[~zero], batch[~zero])


def test_erasing_probability_value_and_noise():
    np.testing.assert_array_equal(augment.random_erasing(IMAGE, 1, p=0.0).numpy(), IMAGE)
    noisy = augment.random_erasing(IMAGE, 1, p=1.0, value="noise").numpy()
    assert not np.array_equal(noisy, IMAGE)
    for value in (1.5, "blue"):
        with pytest.raises(ValueError, match="value"):
            augment.random_erasing(IMAGE, 1, value=value)


# ---------------------------------------------------------------- rotation, translation, fill modes
def test_a_quarter_turn_matches_numpy_rot90():
    turned = augment.random_rotation(SQUARE, 1, degrees=(90, 90), interpolation="nearest").numpy()
    np.testing.assert_array_equal(turned, np.rot90(SQUARE, k=1))


@pytest.mark.parametrize("fill_mode", augment.FILL_MODES)
def test_fill_modes_decide_the_empty_corners(fill_mode):
    white = np.full((41, 41, 3), 200, np.uint8)
    turned = augment.random_rotation(white, 1, degrees=(45, 45), fill_mode=fill_mode, fill_value=7).numpy()
    corner = turned[0, 0]
    if fill_mode == "constant":
        np.testing.assert_array_equal(corner, [7, 7, 7])
    else:
        np.testing.assert_array_equal(corner, [200, 200, 200])  # the image itself fills the corner


def test_translation_shifts_by_the_requested_fraction():
    image = RNG.integers(1, 256, (8, 8, 3), dtype=np.uint8)
    shifted = augment.random_translation(image, 1, fraction=(0.25, 0.25), fill_mode="constant",
                                         interpolation="nearest").numpy()
    np.testing.assert_array_equal(shifted[2:, 2:], image[:-2, :-2])
    assert (shifted[:2] == 0).all() and (shifted[:, :2] == 0).all()
    wrapped = augment.random_translation(image, 1, fraction=(0.25, 0.25), fill_mode="wrap",
                                         interpolation="nearest").numpy()
    np.testing.assert_array_equal(wrapped, np.roll(image, (2, 2), axis=(0, 1)))


@pytest.mark.parametrize("kwargs, message", [
    ({"fill_mode": "mirror"}, "fill_mode"), ({"interpolation": "cubic"}, "interpolation"), ({"degrees": -5}, "degrees"),
])
def test_rotation_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        augment.random_rotation(IMAGE, 1, **kwargs)


# ---------------------------------------------------------------- pipeline
def test_pipeline_output_dtype_and_identity_settings():
    image = IMAGE.astype(np.float32) / 255.0
    as_float = augment.pipeline(IMAGE, 1, size=16, dtype=tf.float32).numpy()
    assert as_float.dtype == np.float32 and 0 <= as_float.min() and as_float.max() <= 1
    plain = augment.pipeline(image, 1, size=(20, 28), flip=False, area=(1.0, 1.0), ratio=(53 / 37, 53 / 37),
                             brightness=0, contrast=0, saturation=0, hue=0).numpy()
    np.testing.assert_allclose(plain, tf.image.resize(image, (20, 28)).numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="dtype"):
        augment.pipeline(IMAGE, 1, dtype=tf.int32)


def test_pipeline_flips_about_half_of_the_images():
    image = np.zeros((10, 10, 3), np.float32)
    image[:, :5] = 1.0  # left half white
    out = augment.pipeline(np.stack([image] * 200), 3, size=10, area=(1.0, 1.0), ratio=(1.0, 1.0),
                           brightness=0, contrast=0, saturation=0, hue=0).numpy()
    left_white = out[:, :, :3].mean(axis=(1, 2, 3)) > 0.5
    assert 70 < left_white.sum() < 130


# ---------------------------------------------------------------- apply
def test_apply_draws_a_grid_of_different_results():
    fig = augment.apply(IMAGE, augment.random_resized_crop, n=6, ncols=3, seed=1, size=20)
    assert len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes] == [f"draw {i}" for i in range(1, 7)]
    shown = [ax.images[0].get_array() for ax in fig.axes]
    assert not np.array_equal(shown[0], shown[1])
    with pytest.raises(ValueError, match="one image"):
        augment.apply(np.stack([IMAGE] * 2), augment.random_hue)
    with pytest.raises(ValueError, match="n must"):
        augment.apply(IMAGE, augment.random_hue, n=0)


# ---------------------------------------------------------------- tf.data
def epochs(dataset: tf.data.Dataset, count: int = 2) -> list[list[np.ndarray]]:
    return [[np.asarray(element[0]) for element in dataset.as_numpy_iterator()] for _ in range(count)]


def test_augment_dataset_gives_new_draws_every_epoch_and_reproduces_across_runs():
    labels = np.arange(6)
    source = tf.data.Dataset.from_tensor_slices((np.stack([IMAGE] * 6), labels))
    train = augment.augment_dataset(source, augment.pipeline, seed=5, size=16)
    first, second = epochs(train)
    assert [label for _, label in train.as_numpy_iterator()] == list(labels)
    assert len({image.tobytes() for image in first}) == 6  # a different draw per element
    assert all(not np.array_equal(a, b) for a, b in zip(first, second, strict=True))  # and per epoch
    rerun = augment.augment_dataset(source, augment.pipeline, seed=5, size=16)
    np.testing.assert_array_equal(np.stack(epochs(rerun, 1)[0]), np.stack(first))
    other = augment.augment_dataset(source, augment.pipeline, seed=6, size=16)
    assert not np.array_equal(np.stack(epochs(other, 1)[0]), np.stack(first))


def test_augment_dataset_works_on_batches_and_on_plain_images():
    images = tf.data.Dataset.from_tensor_slices(np.stack([IMAGE] * 8))
    batched = augment.augment_dataset(images.batch(4), augment.color_jitter, seed=1)
    batches = list(batched.as_numpy_iterator())
    assert [b.shape for b in batches] == [(4, 37, 53, 3)] * 2
    assert len({image.tobytes() for batch in batches for image in batch}) == 8
    plain = augment.augment_dataset(images, augment.random_flip_left_right, seed=1, single_threaded_ops=False)
    assert next(iter(plain)).shape == (37, 53, 3)


def test_counter_seeds_repeat_every_epoch_unlike_seeded():
    """Why seeded() uses Dataset.random: a counter restarts at 0 in each epoch."""
    source = tf.data.Dataset.range(3)
    counter = tf.data.Dataset.zip(source, tf.data.Dataset.counter())
    assert list(counter.as_numpy_iterator()) == list(counter.as_numpy_iterator())
    seeds = augment.seeded(source, seed=1)
    first, second = ([s.tolist() for _, s in seeds.as_numpy_iterator()] for _ in range(2))
    assert first != second and all(len(s) == 2 for s in first)
    with pytest.raises(ValueError, match="seed"):
        augment.seeded(source, seed=(1, 2))


def test_map_fn_keeps_labels_and_checks_the_op():
    augment_element = augment.map_fn(augment.random_flip_left_right, p=1.0)
    image, label, extra = augment_element((tf.constant(IMAGE), 3, "x"), tf.constant([1, 2], tf.int64))
    np.testing.assert_array_equal(image.numpy(), IMAGE[:, ::-1])
    assert (label, extra) == (3, "x")
    with pytest.raises(ValueError, match="callable"):
        augment.map_fn("flip")


def test_the_cat_pipeline_from_the_course_matches_the_syllabus_description():
    """d2l's RandomResizedCrop(200, scale=(0.1, 1), ratio=(0.5, 2)) on a 300x451 photo."""
    boxes = augment.sample_crop_boxes(300, 451, 500, seed=0, area=(0.1, 1.0), ratio=(0.5, 2.0)).numpy()
    fraction = boxes[:, 2] * boxes[:, 3] / (300 * 451)
    assert fraction.min() >= 0.1 - 1e-6 and fraction.max() <= 1.0 + 1e-6
    assert math.isclose(np.median(boxes[:, 3] / boxes[:, 2]), 1.0, rel_tol=0.35)
