"""Captions and credits an image file carries: IPTC fields (read by Pillow) and the few
XMP elements agencies fill in (dc:description, photoshop:Credit, dc:creator)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

IPTC_CAPTION, IPTC_CREDIT, IPTC_BYLINE = (2, 120), (2, 110), (2, 80)
XMP_NAMES = {"description": "caption", "Credit": "credit", "creator": "creator"}


def iptc_text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else b""
    if not isinstance(value, bytes):
        return ""
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return value.decode("latin-1").strip()


def xmp_fields(packet: bytes | str) -> dict[str, str]:
    """dc:description, photoshop:Credit and dc:creator of an XMP packet."""
    text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else packet
    text = re.sub(r"<\?xpacket[^>]*\?>", "", text).strip().strip("\0")
    try:
        root = etree.fromstring(text)
    except etree.ParseError:
        return {}
    found: dict[str, str] = {}
    for element in root.iter():
        for attribute, value in element.attrib.items():  # photoshop:Credit="dpa"
            key = XMP_NAMES.get(attribute.rsplit("}", 1)[-1])
            if key is not None and value.strip():
                found.setdefault(key, value.strip())
        key = XMP_NAMES.get(element.tag.rsplit("}", 1)[-1])
        if key is None or key in found:
            continue
        text = element.text.strip() if element.text else ""
        if not text:  # rdf:Alt / rdf:Seq: the first rdf:li
            item = next((e for e in element.iter() if e.tag.endswith("}li") and e.text), None)
            text = item.text.strip() if item is not None and item.text else ""
        if text:
            found[key] = text
    return found


def caption_and_credit(image: Any) -> tuple[str, str]:
    """The caption and credit an agency photo carries: IPTC first, then XMP."""
    from PIL import IptcImagePlugin

    caption = credit = ""
    try:
        iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except (SyntaxError, ValueError, IndexError, TypeError, OSError):
        iptc = {}
    caption = iptc_text(iptc.get(IPTC_CAPTION))
    credit = iptc_text(iptc.get(IPTC_CREDIT)) or iptc_text(iptc.get(IPTC_BYLINE))
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if packet and (not caption or not credit):
        xmp = xmp_fields(packet)
        caption = caption or xmp.get("caption", "")
        credit = credit or xmp.get("credit", "") or xmp.get("creator", "")
    return caption, credit
