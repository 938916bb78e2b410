"""Tiny directory trees of images and texts, made deterministically, for the directory loaders.

Shared by the recorder (tools/golden_data.py, which runs Keras 3 on TensorFlow over the same tree) and the tests.
PNG, BMP and GIF files are encoded here in pure Python (identical bytes anywhere); the JPEG's bytes were made once
by the recorder with TensorFlow's encoder and are stored under tests/golden/data/encoded/.
"""
import os
import pathlib
import shutil
import struct
import zlib

import numpy as np

ENCODED = pathlib.Path(__file__).resolve().parent.parent / "golden" / "data" / "encoded"


def pixels(height, width, channels, salt):
    grids = np.indices((height, width, channels), dtype=np.int64)
    return ((grids[0] * 37 + grids[1] * 91 + grids[2] * 59 + salt * 13 + grids[0] * grids[1] * 7) % 256).astype(
        np.uint8)


def png_bytes(image):
    """A PNG of a uint8 (h, w, c) image, c in 1 (gray), 3 (RGB), 4 (RGBA)."""
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bmp_bytes(image):
    """A 24-bit BMP of a uint8 (h, w, 3) image (rows bottom-up, BGR, padded to 4 bytes)."""
    height, width, _ = image.shape
    padding = (4 - (width * 3) % 4) % 4
    rows = b"".join(image[row, :, ::-1].tobytes() + b"\x00" * padding for row in range(height - 1, -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(rows), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    return header + info + rows


def gif_palette():
    index = np.arange(256)
    return np.stack([(index * 37) % 256, (index * 101 + 50) % 256, (index * 7 + 200) % 256], 1).astype(np.uint8)


def gif_image(height, width, salt):
    """The RGB pixels of the GIF fixture: palette colours of a pattern of indices."""
    return gif_palette()[pixels(height, width, 1, salt)[:, :, 0]]


def gif_bytes(indices):
    """A GIF89a of palette indices (h, w) with ``gif_palette()``: LZW codes of 9 bits, a clear code every 250
    pixels so the code width never grows (a valid, uncompressed stream)."""
    height, width = indices.shape
    codes = []
    flat = indices.reshape(-1).tolist()
    for start in range(0, len(flat), 250):
        codes.append(256)
        codes.extend(flat[start:start + 250])
    codes.append(257)
    bits, count, stream = 0, 0, bytearray()
    for code in codes:
        bits |= code << count
        count += 9
        while count >= 8:
            stream.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        stream.append(bits & 0xFF)
    blocks = b"".join(bytes([len(stream[i:i + 255])]) + bytes(stream[i:i + 255]) for i in range(0, len(stream), 255))
    screen = struct.pack("<6sHHBBB", b"GIF89a", width, height, 0xF7, 0, 0)
    descriptor = struct.pack("<BHHHHB", 0x2C, 0, 0, width, height, 0)
    return screen + gif_palette().tobytes() + descriptor + b"\x08" + blocks + b"\x00\x3b"


# name -> (kind, height, width, channels, salt); kinds other than png/bmp come from ENCODED.
IMAGES = {
    "cats/c0.png": ("png", 10, 14, 3, 1),
    "cats/c1.png": ("png", 12, 12, 3, 2),
    "cats/c2.jpg": ("jpg", 16, 12, 3, 3),
    "cats/c3.bmp": ("bmp", 9, 11, 3, 4),
    "dogs/d0.png": ("png", 8, 8, 1, 5),
    "dogs/d1.png": ("png", 11, 7, 4, 6),
    "dogs/sub/d2.png": ("png", 13, 10, 3, 7),
    "dogs/d3.gif": ("gif", 10, 10, 3, 8),
    "birds/b0.png": ("png", 15, 9, 3, 9),
    "birds/b1.PNG": ("png", 7, 13, 3, 10),
    ".hidden/h0.png": ("png", 8, 8, 3, 11),
}
IGNORED = {"birds/notes.txt": b"not an image"}
TEXTS = {
    "neg/n0.txt": "bad movie", "neg/n1.txt": "worst plot ever", "neg/deep/n2.txt": "boring \u00e9t\u00e9 film",
    "pos/p0.txt": "great fun", "pos/p1.txt": "loved every minute of it", "pos/p2.txt": "a classic",
    "pos/p3.txt": "superb acting", "pos/notes.md": "ignored",
}


def image_array(name):
    kind, height, width, channels, salt = IMAGES[name]
    return gif_image(height, width, salt) if kind == "gif" else pixels(height, width, channels, salt)


def write_image_tree(root):
    root = pathlib.Path(root)
    for name, (kind, *_rest) in IMAGES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "png":
            path.write_bytes(png_bytes(image_array(name)))
        elif kind == "bmp":
            path.write_bytes(bmp_bytes(image_array(name)))
        elif kind == "gif":
            _, height, width, _, salt = IMAGES[name]
            path.write_bytes(gif_bytes(pixels(height, width, 1, salt)[:, :, 0]))
        else:
            shutil.copyfile(ENCODED / name.replace("/", "__"), path)
    for name, payload in IGNORED.items():
        (root / name).write_bytes(payload)
    return str(root)


def write_text_tree(root):
    root = pathlib.Path(root)
    for name, text in TEXTS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return str(root)


def relative(paths, root):
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]
