"""The XML tags of a workbook part, read the way python-calamine reads them, or refused.

calamine reads XML with quick-xml and its own attribute scanner. A check that
reads the same bytes differently (a regular expression over a whole tag, an
XML library that resolves character references or namespaces) can see a small
sheet where calamine sees a huge one. So this module accepts only the subset
of XML in which its reading and calamine's provably agree, and refuses
everything else as ``file.corrupt``:

- the part is UTF-8 (an optional UTF-8 byte-order mark, an optional
  ``<?xml …?>`` declaration naming no encoding or UTF-8) without NUL bytes;
- no comment, CDATA section, DTD or processing instruction after the
  declaration (quick-xml skips their content; a regular expression does not);
- element names and attribute names are ASCII XML names with at most one
  ``:`` (quick-xml's local name is what follows the first ``:``);
- a tag is ``<name`` + attributes + optional ``/`` + ``>``, each attribute
  preceded by whitespace and quoted; no attribute appears twice on one element
  (calamine keeps the first or the last depending on the element).

Tags are found from ``<`` to the first ``>`` outside quotes, as quick-xml
finds them; text between tags is never looked at.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

import attrs

from upflow_import.errors import UnreadableFileError, UpflowImportError

__all__ = ["MAX_TAG", "Tag", "attributes", "check_prolog", "corrupt", "iter_xml_tags", "parse_tag",
           "unescape", "xml_regions"]

#: Longest tag accepted; no spreadsheet writer comes near it.
MAX_TAG = 1024 * 1024

_NAME = rb"[A-Za-z_][A-Za-z0-9_.\-]*+(?::[A-Za-z_][A-Za-z0-9_.\-]*+)?+"
_PREFIX = rb"[A-Za-z_][A-Za-z0-9_.\-]*+:"
_INSIDE = rb"(?:[^>\"'<]++|\"[^\"<]*+\"|'[^'<]*+')*+"
#: A "<" that does not start a tag of the accepted subset (a comment, CDATA, DTD or processing
#: instruction, an unusual name, a closing tag with attributes, a "<" in a tag).
_UNUSUAL = re.compile(rb"<(?!/" + _NAME + rb"[ \t\r\n]*>|" + _NAME + rb"(?:[ \t\r\n]" + _INSIDE + rb")?/?>)")
_TAG = re.compile(rb"<(" + _INSIDE + rb")>")
_START = re.compile(rb"(" + _NAME + rb")((?:[ \t\r\n][^>]*)?)")
_END = re.compile(rb"/(" + _NAME + rb")[ \t\r\n]*")
_ATTRIBUTE = re.compile(
    rb"[ \t\r\n\x0c]+(" + _NAME + rb")[ \t\r\n\x0c]*=[ \t\r\n\x0c]*(?:\"([^\"]*)\"|'([^']*)')")
_SPACE = re.compile(rb"[ \t\r\n\x0c]*")
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[ \t\r\n][^<>?]*\?>")
_ENCODING = re.compile(rb"\bencoding[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)[\"']")
_REFERENCE = re.compile(r"&([^&;]*);")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}


def corrupt(part: str, what: str) -> UpflowImportError:
    """``file.corrupt`` for ``part``: ``what`` is what the guard found there."""
    return UnreadableFileError.from_code("file.corrupt", detail=f"{part}: {what}")


@attrs.frozen
class Tag:
    """One tag: ``closing`` for ``</…>``, ``empty`` for ``<…/>``; ``local`` is the name after the
    first ``:``, as quick-xml's ``local_name``; ``raw`` the attributes' bytes, unparsed."""

    closing: bool
    empty: bool
    name: bytes
    local: bytes
    raw: bytes


def xml_regions(chunks: Iterable[bytes], part: str, *, tokenized: bool = False) -> Iterator[bytes]:
    """The XML inflated chunk by chunk, checked (prolog, NUL bytes, every ``<`` starting a tag of
    the accepted subset) and cut into regions that hold whole tags: each region ends before a
    ``<``, so a regular expression over a region never sees half a tag.

    ``tokenized``: the caller reads every byte of each region with a regular expression built
    with :func:`tokens` (and refuses a region it cannot read whole), which checks the tags as
    it goes; only the prolog and NUL bytes are checked here."""
    pending = iter(chunks)
    head = b""
    for chunk in pending:
        head += chunk
        if len(head) >= 512:
            break
    carry = b""
    for chunk in itertools.chain([check_prolog(head, part)], pending):
        buffer = carry + chunk if carry else chunk
        cut = buffer.rfind(b"<")
        if cut < 0:
            cut = len(buffer)
        else:
            complete = _TAG.match(buffer, cut)  # then only text follows: cut after the tag
            if complete is not None:
                cut = complete.end()
        region, carry = buffer[:cut], buffer[cut:]
        _check_region(region, part, tokenized)
        if len(carry) > MAX_TAG:
            raise corrupt(part, "a tag is too long")
        yield region
    _check_region(carry, part, tokenized)
    yield carry


def _check_region(region: bytes, part: str, tokenized: bool) -> None:
    if b"\x00" in region:
        raise corrupt(part, "a NUL byte")
    if tokenized:
        return
    unusual = _UNUSUAL.search(region)
    if unusual is not None:
        following = region[unusual.start() + 1:unusual.start() + 2]
        raise corrupt(part, "a comment, CDATA, DTD or processing instruction" if following in (b"!", b"?")
                      else "an unusual tag")


def tokens(shortcut: bytes, names: bytes) -> re.Pattern[bytes]:
    """A regular expression that reads a region of :func:`xml_regions` whole, match after match,
    each one followed by the text up to the next tag: ``shortcut`` (a pattern for a common
    construct read in one match, its groups numbered from 1), or a tag whose local name is one
    of ``names`` (``a|b``; its bytes between ``<`` and ``>`` are the group ``tag``), or a run of
    other tags of the accepted subset (no group)."""
    interesting = rb"(?:" + _PREFIX + rb")?(?:" + names + rb")(?=[ \t\r\n/>])"
    other = (rb"<(?!/?" + interesting + rb")(?:/" + _NAME + rb"[ \t\r\n]*|" + _NAME + rb"(?:[ \t\r\n]"
             + _INSIDE + rb")?/?)>")
    return re.compile(rb"(?:" + shortcut + rb"|<(?P<tag>/?" + interesting + _INSIDE + rb")>|(?:" + other
                      + rb"[^<]*+)++)[^<]*+")


def read_whole(pattern: re.Pattern[bytes], region: bytes, part: str) -> Iterator[re.Match[bytes]]:
    """The matches of ``pattern`` (see :func:`tokens`) that read ``region`` whole; ``file.corrupt``
    at the first byte none of them reads."""
    position = region.find(b"<")  # after the text before the first tag
    if position < 0:
        return
    for match in pattern.finditer(region, position):
        if match.start() != position:
            break
        position = match.end()
        yield match
    if position != len(region):
        following = region[position + 1:position + 2]
        raise corrupt(part, "a comment, CDATA, DTD or processing instruction" if following in (b"!", b"?")
                      else "an unusual tag")


def iter_xml_tags(chunks: Iterable[bytes], part: str) -> Iterator[Tag]:
    """Every tag of the XML inflated chunk by chunk (see :func:`xml_regions`)."""
    for region in xml_regions(chunks, part):
        for match in _TAG.finditer(region):
            yield parse_tag(match[1], part)


def check_prolog(buffer: bytes, part: str) -> bytes:
    """``buffer`` (the start of a part) after its byte-order mark and declaration; ``file.corrupt``
    when they announce anything but UTF-8."""
    if buffer.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise corrupt(part, "XML that is not UTF-8")
    declaration = _DECLARATION.match(buffer)
    if declaration is None:
        return buffer[3:] if buffer.startswith(b"\xef\xbb\xbf") else buffer
    encoding = _ENCODING.search(declaration[0])
    if encoding is not None and encoding[1].lower() not in (b"utf-8", b"utf8"):
        raise corrupt(part, "XML that is not UTF-8")
    return buffer[declaration.end():]


def parse_tag(content: bytes, part: str) -> Tag:
    """The tag whose bytes between ``<`` and ``>`` are ``content``."""
    if content[:1] == b"/":
        end = _END.fullmatch(content)
        if end is None:
            raise corrupt(part, "an unusual closing tag")
        name = end[1]
        return Tag(True, False, name, name.partition(b":")[2] or name, b"")
    empty = content.endswith(b"/")
    start = _START.fullmatch(content[:-1] if empty else content)
    if start is None:
        what = "a comment, CDATA, DTD or processing instruction" if content[:1] in (b"!", b"?") \
            else "an unusual tag"
        raise corrupt(part, what)
    name = start[1]
    return Tag(False, empty, name, name.partition(b":")[2] or name, start[2])


def attributes(raw: bytes, part: str) -> dict[bytes, bytes]:
    """The attributes of a tag (name → raw value, entities left as written), as calamine's
    scanner reads them; ``file.corrupt`` for a malformed or repeated attribute."""
    found: dict[bytes, bytes] = {}
    position = 0
    size = len(raw)
    while True:
        match = _ATTRIBUTE.match(raw, position)
        if match is None:
            if _SPACE.match(raw, position).end() != size:  # type: ignore[union-attr]
                raise corrupt(part, "a malformed attribute")
            return found
        key = match[1]
        if key in found:
            raise corrupt(part, f"the attribute {key.decode()} twice on one element")
        value = match[2]
        found[key] = value if value is not None else match[3]
        position = match.end()


def unescape(value: bytes, part: str) -> str:
    """An attribute value with its entity and character references replaced, as quick-xml's
    ``unescape`` does; ``file.corrupt`` for an unknown entity or undecodable bytes."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise corrupt(part, "an attribute that is not UTF-8") from None
    if "&" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name in _PREDEFINED:
            return _PREDEFINED[name]
        try:
            if name.startswith("#x") and re.fullmatch(r"[0-9A-Fa-f]{1,6}", name[2:]):
                return chr(int(name[2:], 16))
            if name.startswith("#") and re.fullmatch(r"[0-9]{1,7}", name[1:]):
                return chr(int(name[1:]))
        except (ValueError, OverflowError):
            pass
        raise corrupt(part, "an unknown reference in an attribute")

    result = _REFERENCE.sub(replace, text)
    if "&" in _REFERENCE.sub("", text):
        raise corrupt(part, "a stray '&' in an attribute")
    return result
