"""The rules of safe unpacking: limits, the budget that enforces them, member names, archive kinds.

:class:`UnpackLimits` bounds one archive (nested archives included); :class:`Budget` counts the
bytes and entries spent against them and refuses a breach with
:class:`~app.errors.UnsafeArchive`; :func:`safe_name` turns a member name into a clean relative
path or refuses it; :func:`is_archive_name` and :func:`looks_like_archive` say whether a member
is an archive to open in place (reference/formats.md §9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import UnsafeArchive

CHUNK = 64 * 1024
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class UnpackLimits:
    """Bounds on one archive (nested archives share them)."""

    max_total_bytes: int = 2 << 30
    max_member_bytes: int = 1 << 30
    max_entries: int = 100_000
    #: inflated / compressed; deflate cannot exceed about 1032, real coverage files stay far below
    max_ratio: int = 250
    #: the ratio is only checked once more than this many bytes were inflated
    ratio_floor: int = 1 << 20
    #: archives inside archives: 0 = none opened, 1 = one level, ...
    max_depth: int = 2


DEFAULT_UNPACK_LIMITS = UnpackLimits()


# --------------------------------------------------------------------------------------------
# names


def safe_name(name: str, archive: str) -> str | None:
    """The member name as a clean relative path, ``None`` for a directory entry; refuses tricks."""

    def refuse(problem: str) -> UnsafeArchive:
        return UnsafeArchive(f"{archive}: member {name!r}: {problem}")

    if "\x00" in name:
        raise refuse("NUL byte in the name")
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        raise refuse("the name is not UTF-8")
    if "\\" in name:
        raise refuse("backslash in the name (a Windows path separator)")
    if name.startswith("/"):
        raise refuse("absolute path")
    if _DRIVE.match(name):
        raise refuse("drive letter in the name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise refuse("'..' in the path")
    if not parts or name.endswith("/"):
        return None
    return "/".join(parts)


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


# --------------------------------------------------------------------------------------------
# budgets


class Budget:
    """Bytes and entries spent so far, shared by an archive and the archives nested in it."""

    def __init__(self, limits: UnpackLimits) -> None:
        self.limits = limits
        self.total = 0
        self.entries = 0

    def entry(self, archive: str, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise UnsafeArchive(
                f"{archive}: member {name!r}: more than {self.limits.max_entries} entries"
            )

    def spend(self, archive: str, name: str, member_bytes: int, count: int) -> None:
        self.total += count
        limits = self.limits
        if member_bytes > limits.max_member_bytes:
            raise UnsafeArchive(
                f"{archive}: member {name!r} inflates past {limits.max_member_bytes} bytes"
            )
        if self.total > limits.max_total_bytes:
            raise UnsafeArchive(
                f"{archive}: member {name!r}: the archive inflates past "
                f"{limits.max_total_bytes} bytes in total"
            )

    def ratio(self, archive: str, name: str, inflated: int, compressed: int, what: str) -> None:
        limits = self.limits
        if inflated > limits.ratio_floor and inflated > limits.max_ratio * max(compressed, 1):
            raise UnsafeArchive(
                f"{archive}: member {name!r}: {what} inflates more than {limits.max_ratio} times "
                f"({inflated} bytes from {compressed})"
            )


def looks_like_archive(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(512)
    return head.startswith(
        (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
    ) or (head[257:262] == b"ustar")
