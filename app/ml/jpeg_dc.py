"""Big progressive JPEGs, decoded at 1/8 size without reading their fine detail.

Decoding a JPEG at 1/8 size (Pillow's draft mode) uses only each 8 × 8 block's average colour,
its DC coefficient. A baseline JPEG still has to be read to the end, but a *progressive* JPEG
stores the DC coefficients of the whole picture in its first scans and the detail (the AC
coefficients) in later ones. So for a 12-megapixel progressive photo we keep the header and the
DC scans, and replace the detail scans by tiny ones that say "every AC coefficient is 0"
(a few end-of-block runs). libjpeg then reads ~10 % of the bytes and, because every coefficient
is known, does no guessing (block smoothing). Brightness comes out exactly as in a full decode;
subsampled colour (4:2:0 chroma, which libjpeg scales with a 2 × 2 inverse DCT) loses detail
finer than 2 pixels of the 1/8-size picture — invisible after the resize to 224
(tests/ml/test_photos_decode.py checks both).

`dc_only(data)` returns the slimmer JPEG, or None for anything it does not fully understand
(baseline, arithmetic coding, odd markers) — then the caller decodes the original.
"""

from __future__ import annotations

import re
import struct

_ENTROPY_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # the next marker after entropy-coded data
_SOF_PROGRESSIVE_HUFFMAN = 0xC2
_OTHER_SOF = {0xC0, 0xC1, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_MAX_EOBRUN = 32767
_AC_TABLE_ID = 0

# An AC Huffman table with just the 15 end-of-block-run symbols EOBRUN_r = 0xr0 (r = 0…14),
# each with the 4-bit code r (canonical codes: 15 codes of length 4).
_DHT = b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 15) + bytes([0x10 | _AC_TABLE_ID]) + \
    bytes([0, 0, 0, 15] + [0] * 12) + bytes(r << 4 for r in range(15))
_DRI_OFF = b"\xff\xdd\x00\x04\x00\x00"  # no restart markers in our scans


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _zero_ac_scan(component_id: int, blocks: int) -> bytes:
    """A progressive AC scan (Ss=1, Se=63, Al=0) in which all `blocks` blocks are end-of-block."""
    bits: list[str] = []
    while blocks > 0:
        run = min(blocks, _MAX_EOBRUN)
        r = run.bit_length() - 1  # 2**r ≤ run < 2**(r+1)
        bits.append(format(r, "04b"))
        if r:
            bits.append(format(run - (1 << r), f"0{r}b"))
        blocks -= run
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)  # pad with 1-bits to a whole byte
    data = int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""
    data = data.replace(b"\xff", b"\xff\x00")  # byte stuffing
    header = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([component_id, _AC_TABLE_ID, 1, 63, 0])
    return header + data


def dc_only(data: bytes) -> bytes | None:
    """The same progressive JPEG with every AC coefficient 0, or None if it is not one we handle."""
    if data[:2] != b"\xff\xd8":
        return None
    out = [b"\xff\xd8"]
    components: list[tuple[int, int, int]] = []  # (id, h, v)
    width = height = 0
    pos, n = 2, len(data)
    while True:
        if pos + 2 > n or data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if pos + 4 > n:
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        end = pos + 2 + length
        if end > n:
            return None
        if marker in _OTHER_SOF:
            return None
        if marker == _SOF_PROGRESSIVE_HUFFMAN:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            count = data[pos + 9]
            for i in range(count):
                cid, hv = data[pos + 10 + 3 * i], data[pos + 11 + 3 * i]
                components.append((cid, hv >> 4, hv & 15))
        if marker == 0xDA:  # start of scan: header, then entropy-coded data up to the next marker
            if not components:
                return None
            count = data[pos + 4]
            spectral_start = data[pos + 5 + 2 * count]
            found = _ENTROPY_END.search(data, end)
            scan_end = found.start() if found else n
            if spectral_start == 0:  # a DC scan (first pass or refinement): keep it
                out.append(data[pos:scan_end])
            pos = scan_end
            continue
        out.append(data[pos:end])
        pos = end
    if not components or not width or not height:
        return None
    h_max = max(h for _, h, _ in components)
    v_max = max(v for _, _, v in components)
    out += [_DRI_OFF, _DHT]
    for cid, h, v in components:
        # a single-component scan covers the component's own blocks (no MCU padding)
        cols = _ceil_div(_ceil_div(width * h, h_max), 8)
        rows = _ceil_div(_ceil_div(height * v, v_max), 8)
        out.append(_zero_ac_scan(cid, cols * rows))
    out.append(b"\xff\xd9")
    return b"".join(out)
