"""A folder of images, one sub-folder per class, streamed from disk through tf.data.

Only the file list and the image headers are read up front (to split the
files and check their sizes); pixels are decoded batch by batch while a
model trains, so a folder larger than memory still works.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.data.core import Dataset, DatasetInfo, digest, encode_labels, rescaler, split
from pipelines.data.encoding import ImageInputs
from pipelines.data.sources import ImageFolderData
from pipelines.errors import DataError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def list_images(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    files, labels = [], []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for file in sorted(class_dir.iterdir()):
            if file.suffix.lower() in EXTENSIONS:
                files.append(str(file))
                labels.append(class_dir.name)
    if not files:
        raise DataError(
            f"{folder}: no images in class sub-folders; expected {folder}/<class>/<image>.png "
            f"(extensions {', '.join(sorted(EXTENSIONS))})."
        )
    return np.array(files), np.array(labels, dtype=object)


def common_size(files: np.ndarray, folder: Path) -> tuple[int, int]:
    sizes: dict[tuple[int, int], str] = {}
    for file in files:
        with Image.open(file) as image:  # reads the header only
            sizes.setdefault(image.size[::-1], file)
    if len(sizes) > 1:
        shown = "; ".join(f"{Path(f).name} is {h}x{w}" for (h, w), f in list(sizes.items())[:3])
        raise DataError(
            f"{folder}: images of mixed sizes ({shown}). Set data.image_size: [height, width] to resize them."
        )
    return next(iter(sizes))


def stream(
    files: np.ndarray,
    labels: np.ndarray,
    size: tuple[int, int],
    channels: int,
    resize: bool,
    shuffle_seed: int | None = None,
):
    """(image, label) pairs decoded on demand; batching happens in the model's fit, per trial.

    With `shuffle_seed` (the training split) the file names are reshuffled every epoch.
    """
    from pipelines.logs import load_tensorflow

    load_tensorflow()
    import tensorflow as tf

    pairs = tf.data.Dataset.from_tensor_slices((files, labels))
    if shuffle_seed is not None:
        pairs = pairs.shuffle(len(files), seed=shuffle_seed, reshuffle_each_iteration=True)
    return pairs.map(
        lambda path, label: (decode(path, size, channels, resize), label), num_parallel_calls=tf.data.AUTOTUNE
    )


def decode(path, size: tuple[int, int], channels: int, resize: bool):
    """One image file as float pixels of `size`, as training and predict both read it."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    image = tf.image.resize(image, size) if resize else tf.ensure_shape(image, (*size, channels))
    return tf.cast(image, tf.float32)


def image_folder(config: ImageFolderData, seed: int, folder: Path) -> Dataset:
    files, names = list_images(folder)
    y, class_names = encode_labels(names, str(folder))
    if len(class_names) < 2:
        raise DataError(f"{folder}: only one class ({class_names[0]!r}); classification needs at least two.")
    size = config.image_size or common_size(files, folder)
    channels = 1 if config.color == "grayscale" else 3
    f_train, y_train, f_val, y_val, f_test, y_test = split(
        files, y, config.test_split, config.validation_split, seed, stratify=True
    )
    resize = config.image_size is not None
    info = DatasetInfo(
        name=folder.name,
        source=str(folder),
        input_shape=(*size, channels),
        num_classes=len(class_names),
        class_names=class_names,
        sizes={"train": len(f_train), "validation": len(f_val), "test": len(f_test)},
        digest=digest(files, y),
        preprocess=rescaler(1 / 255),
        inputs=ImageInputs(size, channels, resize),
    )
    return Dataset(
        stream(f_train, y_train, size, channels, resize, shuffle_seed=seed),
        y_train,
        stream(f_val, y_val, size, channels, resize),
        y_val,
        stream(f_test, y_test, size, channels, resize),
        y_test,
        info,
        files={"train": f_train, "validation": f_val, "test": f_test},
    )
