#!/usr/bin/env python3
"""Write a tiny Matroska file whose decoded frames have a NEGATIVE Y-plane linesize.

Usage: fuzz/tools/bottomup_mkv.py OUT.mkv [WIDTH HEIGHT FRAMES]   (default 64 48 2)

The track is uncompressed I420 (yuv420p) stored as `V_MS/VFW/FOURCC`: its CodecPrivate is
a BITMAPINFOHEADER followed by the 9 bytes "BottomUp\\0". FFmpeg's Matroska demuxer passes
the bytes after the header on as extradata, and FFmpeg's rawvideo decoder, seeing extradata
that ends in "BottomUp\\0", flips the picture the cheap way: data[0] points at the last row
and linesize[0] is negated. Frames with negative strides are legal in FFmpeg; this file
checks that a consumer of decoded frames copes with them.

Pure standard library, no FFmpeg needed to write it.
"""

import struct
import sys


def vint_size(n: int) -> bytes:
    """An EBML data size, in the shortest form (the all-ones value is reserved)."""
    for length in range(1, 9):
        if n < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | n).to_bytes(length, "big")
    raise ValueError(n)


def element(ident: int, payload: bytes) -> bytes:
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + vint_size(len(payload)) + payload


def uint(ident: int, value: int) -> bytes:
    return element(ident, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def text(ident: int, value: str) -> bytes:
    return element(ident, value.encode("ascii"))


def frame(width: int, height: int, index: int) -> bytes:
    """One I420 frame: Y is a vertical ramp (row y holds y * 4 + index), U and V are flat."""
    cw, ch = (width + 1) // 2, (height + 1) // 2
    y = b"".join(bytes([(row * 4 + index) & 0xFF]) * width for row in range(height))
    return y + bytes([96]) * (cw * ch) + bytes([160]) * (cw * ch)


def main() -> None:
    if len(sys.argv) not in (2, 5):
        sys.exit(__doc__.strip().splitlines()[2])
    out = sys.argv[1]
    width, height, frames = (int(v) for v in sys.argv[2:5]) if len(sys.argv) == 5 else (64, 48, 2)

    extra = b"BottomUp\0"
    image_size = len(frame(width, height, 0))
    bih = struct.pack(
        "<IiiHH4sIiiII",
        40 + len(extra),  # biSize
        width,
        height,
        1,  # biPlanes
        12,  # biBitCount
        b"I420",  # biCompression: the fourcc
        image_size,
        0,
        0,
        0,
        0,
    ) + extra

    ebml = element(
        0x1A45DFA3,
        uint(0x4286, 1)
        + uint(0x42F7, 1)
        + uint(0x42F2, 4)
        + uint(0x42F3, 8)
        + text(0x4282, "matroska")
        + uint(0x4287, 4)
        + uint(0x4285, 2),
    )
    info = element(0x1549A966, uint(0x2AD7B1, 1_000_000) + text(0x4D80, "bottomup_mkv.py") + text(0x5741, "bottomup_mkv.py"))
    video = element(0xE0, uint(0xB0, width) + uint(0xBA, height))
    track = element(
        0xAE,
        uint(0xD7, 1)  # TrackNumber
        + uint(0x73C5, 1)  # TrackUID
        + uint(0x83, 1)  # TrackType: video
        + uint(0x9C, 0)  # FlagLacing
        + text(0x86, "V_MS/VFW/FOURCC")
        + element(0x63A2, bih)  # CodecPrivate
        + uint(0x23E383, 40_000_000)  # DefaultDuration: 25 fps
        + video,
    )
    tracks = element(0x1654AE6B, track)
    blocks = b"".join(
        # SimpleBlock: track 1, timecode in ms relative to the cluster, keyframe flag.
        element(0xA3, b"\x81" + struct.pack(">h", i * 40) + b"\x80" + frame(width, height, i))
        for i in range(frames)
    )
    cluster = element(0x1F43B675, uint(0xE7, 0) + blocks)
    segment = element(0x18538067, info + tracks + cluster)
    with open(out, "wb") as f:
        f.write(ebml + segment)


if __name__ == "__main__":
    main()
