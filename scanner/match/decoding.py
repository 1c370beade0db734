"""Encoded content: find base64 and URL-encoded runs, decode them, and scan what they hold.

A key stored base64-encoded (a Kubernetes Secret's `data:`, a Docker `auth`, a JWT payload) or
percent-encoded (a URL parameter) never matches a rule as it is written. Runs that could hold a
secret are decoded, up to `MAX_DEPTH` layers and `MAX_DECODED` bytes per chunk, and the decoded
text goes through the same matcher. Each decoded run keeps the rest of its line around it, so
`password: <base64>` is seen as `password: <decoded>` and generic rules still see the name.

Which base64 runs are decoded (`candidate_ends`): those holding a keyword's base64 form, whose
offsets the matcher reports (keyword_encodings), those a plain match covers, and those on a
line with a word that announces base64 (`atob(`, `b64decode(`, `key_base64:`); finding and
decoding every run of every file cost more than matching it. In a Kubernetes Secret every run is
decoded: its values are short passwords named by their key, with no keyword inside.

Matches are mapped back to the encoded text in the chunk, so a finding points at the line that
holds the encoded run. Pure: the matcher is passed in.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Callable, Sequence

from scanner.match.keyword_encodings import MIN_RUN, TOKEN_TABLE, is_secret_manifest
from scanner.match.results import NO_MATCHES, MatchResult, Survey
from scanner.model import Match, NamedTuple
from scanner.model import replaced as replace

#: in a Kubernetes Secret every `data:` value is base64, so short ones (passwords) count too
SECRET_MANIFEST_MIN_RUN = 12
#: no secret worth reporting is shorter
MIN_DECODED = 8
#: long enough for a service-account JSON or a PEM key inside a Secret, short enough to stay cheap
MAX_RUN = 64 * 1024
MAX_DEPTH = 2
#: decoded bytes scanned per chunk and layer, so a file full of base64 stays a bounded cost
MAX_DECODED = 1024 * 1024
#: text kept from the encoded run's line on either side of it (the name a value is given to)
CONTEXT = 200
MIN_PRINTABLE = 0.95

STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URLSAFE = b"-_"
INSIDE, OUTSIDE = b"a", b"\n"
STANDARD_TABLE = bytes(INSIDE[0] if i in STANDARD else OUTSIDE[0] for i in range(256))
ANY_RUN = re.compile(rb"[A-Za-z0-9+/_-]*={0,2}")
PERCENT_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
TOKEN_END_BYTES = b" \t\n\r\f\v\"'<>`"
TOKEN_END = re.compile(rb"""[\s"'<>`]""")
HEX = b"0123456789abcdefABCDEF"
#: `string.printable`: ASCII's printable characters and its whitespace
PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\n\r\x0b\x0c"
SEPARATOR = b"\n"
#: `key = atob("` reads `key = "` once decoded: the call that decodes the run goes
DECODE_CALL = re.compile(rb"[\w.$]+\([ \t]*(?=[\"'`]?\Z)")

Scan = Callable[[bytes], Survey]


class Segment(NamedTuple):
    """One decoded run inside a layer's buffer, with the line text around it (a named tuple:
    the hook creates the class on every commit, and a dataclass costs several times as much).

    The buffer holds `prefix + decoded + suffix`, then, when there is context, a newline and
    `decoded` again: the first copy lets `password: <base64>` read as an assignment, the second
    lets decoded text that is itself a line (`password: ...`) start one. Prefix and suffix are
    copied verbatim from the parent, so only offsets inside `decoded` need the encoding's own
    mapping.
    """

    at: int
    prefix_start: int
    #: the prefix in the buffer: the parent's text, less a decoding call (see `DECODE_CALL`)
    prefix_length: int
    run_start: int
    run_end: int
    encoded: bytes
    decoded_length: int
    suffix_length: int
    encoding: str

    @property
    def has_context(self) -> bool:
        return self.prefix_length + self.suffix_length > 0

    @property
    def second_copy(self) -> int:
        """Where the second copy of the decoded text starts, relative to `at`."""
        return self.prefix_length + self.decoded_length + self.suffix_length + len(SEPARATOR)

    @property
    def end(self) -> int:
        if self.has_context:
            return self.at + self.second_copy + self.decoded_length
        return self.at + self.decoded_length

    def decoded_offset(self, offset: int) -> int | None:
        """The offset in the decoded text of a buffer offset, if it falls in a decoded copy."""
        inside = offset - self.at
        for copy in (self.prefix_length, self.second_copy) if self.has_context else (0,):
            if copy <= inside < copy + self.decoded_length:
                return inside - copy
        return None

    def to_parent(self, offset: int) -> int:
        """The parent offset of a buffer offset inside this segment."""
        decoded = self.decoded_offset(offset)
        inside = offset - self.at
        if decoded is None:
            if inside < self.prefix_length:
                return min(self.prefix_start + inside, self.run_start)
            return self.run_end
        if self.encoding == "base64":
            return self.run_start + min(decoded // 3 * 4, len(self.encoded))
        return self.run_start + url_encoded_offset(self.encoded, decoded)

    def holds(self, start: int, end: int) -> bool:
        """Whether [start, end) lies in this segment and starts in a decoded copy."""
        return end <= self.end and self.decoded_offset(start) is not None


class Layer(NamedTuple):
    """One layer of decoding: every decoded run of a text in one buffer, and where each is."""

    buffer: bytes
    segments: tuple[Segment, ...]

    def segment_at(self, start: int, end: int) -> Segment | None:
        """The segment holding [start, end), when the span starts in its decoded text."""
        index = bisect.bisect_right([s.at for s in self.segments], start) - 1
        if index < 0 or not self.segments[index].holds(start, end):
            return None
        return self.segments[index]


def url_encoded_offset(encoded: bytes, decoded_offset: int) -> int:
    """Where the `decoded_offset`-th decoded byte starts in percent-encoded text."""
    position = produced = 0
    while produced < decoded_offset and position < len(encoded):
        escape = encoded[position] == ord("%") and PERCENT_ESCAPE.match(encoded, position)
        position += 3 if escape else 1
        produced += 1
    return position


def mostly_printable(data: bytes) -> bool:
    return len(data.translate(None, PRINTABLE)) <= len(data) * (1 - MIN_PRINTABLE)


def one_case_letters(text: bytes) -> bool:
    """Letters of one case only, like a constant or a word: no base64 of anything with a key.

    `isupper()` alone ignores digits, and base64 of upper-case text (`PASSWORD=…` encodes to
    `UEFTU1dPUkQ9…`) has digits among upper-case letters: those runs must still be decoded.
    """
    return text.isalpha() and (text.islower() or text.isupper())


def decode_base64(run: bytes) -> bytes | None:
    body = run.rstrip(b"=")
    if not body.translate(None, HEX) or one_case_letters(body) or len(body) % 4 == 1:
        return None
    standard, urlsafe = b"+" in body or b"/" in body, b"-" in body or b"_" in body
    if standard and urlsafe:
        return None
    padded = body + b"=" * (-len(body) % 4)
    try:
        decoded = (
            base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        )
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) >= MIN_DECODED and mostly_printable(decoded) else None


def decode_percent(run: bytes) -> bytes | None:
    import urllib.parse  # only for chunks with percent escapes: not on every hook run

    decoded = urllib.parse.unquote_to_bytes(run)
    return decoded if decoded != run and mostly_printable(decoded) else None


def base64_runs(content: bytes, min_run: int = MIN_RUN) -> list[tuple[int, int, bytes, str]]:
    """Decodable runs of at least `min_run` base64 characters.

    Found with `bytes.translate` and `find` rather than a regex, which is several times slower
    on source code: every position inside an identifier would start a new attempt. A run is
    found by a stretch of the standard alphabet alone, so snake_case names never are, then
    widened to the URL-safe characters around it.
    """
    found = content.translate(STANDARD_TABLE)
    runs = []
    position = 0
    stretch = INSIDE * min_run
    while (at := found.find(stretch, position)) >= 0:
        # names, hex digests and constants are most runs: judged by their first stretch alone
        window = content[at : at + min_run]
        if one_case_letters(window) or not window.translate(None, HEX):
            position = found.find(OUTSIDE, at + min_run)
            if position < 0:
                break
            continue
        start = found.rfind(OUTSIDE, 0, at) + 1
        while start > 0 and content[start - 1] in URLSAFE:
            start = found.rfind(OUTSIDE, 0, start - 1) + 1
        end = ANY_RUN.match(content, at).end()  # type: ignore[union-attr]
        position = end
        if end - start <= MAX_RUN:
            decoded = decode_base64(content[start:end])
            if decoded is not None:
                runs.append((start, end, decoded, "base64"))
    return runs


def token_start(content: bytes, at: int) -> int:
    """Where the run of base64 characters ending at `at` starts (at most `MAX_RUN` + 1 back):
    a short look first, since most runs are short and a long look costs a `MAX_RUN` copy."""
    for reach in (256, MAX_RUN + 1):
        floor = max(0, at - reach)
        start = floor + content[floor:at].translate(TOKEN_TABLE).rfind(OUTSIDE) + 1
        if start > floor or floor == 0:
            return start
    return start


def candidate_ends(content: bytes, surveyed: Survey) -> list[int]:
    """Offsets inside the base64 runs worth decoding: those holding a keyword's encoding, those
    a plain match covers (`"auth": "<base64>"` matched as a generic secret), and every run on a
    line with a hint word (`atob(`, `_base64:`), where the name of what is encoded is plain."""
    ends = [*surveyed.encoded_ends, *(match.start + 1 for match in surveyed.result.matches)]
    line_end = -1
    for at in sorted(surveyed.hint_ends):
        if at <= line_end:
            continue
        line_start = content.rfind(b"\n", 0, at) + 1
        line_end = content.find(b"\n", at)
        line_end = len(content) if line_end < 0 else line_end
        found = content[line_start:line_end].translate(TOKEN_TABLE)
        stretch = INSIDE * MIN_RUN
        position = 0
        while (start := found.find(stretch, position)) >= 0:
            ends.append(line_start + start + MIN_RUN)
            position = found.find(OUTSIDE, start)
            if position < 0:
                break
    return ends


def runs_around(content: bytes, ends: Sequence[int]) -> list[tuple[int, int, bytes, str]]:
    """Decodable runs of at least `MIN_RUN` characters that hold one of these offsets' bytes
    (each offset is the end of a keyword's base64 form inside a run)."""
    runs = []
    covered = -1
    for at in sorted(ends):
        if at <= covered:
            continue
        start = token_start(content, at)
        floor = max(0, at - MAX_RUN - 1)
        end = ANY_RUN.match(content, start).end()  # type: ignore[union-attr]
        covered = end
        too_long = start == floor > 0  # no start within reach
        if too_long or len(content[start:end].rstrip(b"=")) < MIN_RUN:
            continue
        if end - start <= MAX_RUN:
            decoded = decode_base64(content[start:end])
            if decoded is not None:
                runs.append((start, end, decoded, "base64"))
    return runs


def has_decodable_run(content: bytes) -> bool:
    """Whether `runs_around` could decode anything in `content`: some run of at least `MIN_RUN`
    base64 characters that `decode_base64` accepts (or too long to try). Without one, no keyword
    encoding in the chunk can lead to a decoded run, so there is none to look for."""
    found = content.translate(TOKEN_TABLE)
    stretch = INSIDE * MIN_RUN
    position = 0
    while (start := found.find(stretch, position)) >= 0:
        end = ANY_RUN.match(content, start).end()  # type: ignore[union-attr]
        if end - start > MAX_RUN or decode_base64(content[start:end]) is not None:
            return True
        position = end
    return False


def percent_runs(content: bytes) -> list[tuple[int, int, bytes, str]]:
    """Tokens holding a `%XX` escape, decoded; `find` first, since `re` would crawl each file."""
    runs = []
    position = 0
    while (at := content.find(b"%", position)) >= 0:
        position = at + 1
        if not PERCENT_ESCAPE.match(content, at):
            continue
        floor = max(0, at - MAX_RUN)
        start = max(content.rfind(bytes([c]), floor, at) for c in TOKEN_END_BYTES) + 1
        end_match = TOKEN_END.search(content, at)
        end = end_match.start() if end_match else len(content)
        position = end + 1
        if SECRET_MANIFEST_MIN_RUN <= end - start <= MAX_RUN:
            decoded = decode_percent(content[start:end])
            if decoded is not None:
                runs.append((start, end, decoded, "url"))
    return runs


def decode_layer(
    content: bytes, surveyed: Survey | None = None, within: Layer | None = None
) -> Layer | None:
    """Every plausible encoded run of `content`, decoded, each in its line's context.

    `surveyed`: the matcher's survey of `content`; only the base64 runs it points at are
    decoded (`candidate_ends`; None: every run). `within`: `content` is that layer's buffer,
    and only runs inside its decoded text count (the context around them was plain text,
    decoded already one layer up if it needed to be).
    """
    if surveyed is None:
        manifest = is_secret_manifest(content)
        runs = base64_runs(content, SECRET_MANIFEST_MIN_RUN if manifest else MIN_RUN)
    elif surveyed.secret_manifest:
        runs = base64_runs(content, SECRET_MANIFEST_MIN_RUN)
    elif surveyed.encoded_ends or surveyed.hint_ends or surveyed.result.matches:
        runs = runs_around(content, candidate_ends(content, surveyed))
    else:  # most chunks
        runs = []
    if (surveyed is None or surveyed.percent_escapes) and b"%" in content:
        runs.extend(percent_runs(content))
    if within is not None:
        runs = [run for run in runs if within.segment_at(run[0], run[1]) is not None]
    if not runs:
        return None
    runs.sort()
    pieces: list[bytes] = []
    segments: list[Segment] = []
    size = 0
    for start, end, decoded, encoding in runs:
        line_start = content.rfind(b"\n", 0, start) + 1
        line_end = content.find(b"\n", end)
        prefix_start = max(line_start, start - CONTEXT)
        suffix = content[end : min(line_end if line_end >= 0 else len(content), end + CONTEXT)]
        prefix = DECODE_CALL.sub(b"", content[prefix_start:start])
        piece = prefix + decoded + suffix
        if piece != decoded:
            piece += SEPARATOR + decoded
        if size + len(piece) > MAX_DECODED:
            break
        segments.append(
            Segment(
                size,
                prefix_start,
                len(prefix),
                start,
                end,
                content[start:end],
                len(decoded),
                len(suffix),
                encoding,
            )
        )
        pieces.append(piece)
        size += len(piece) + len(SEPARATOR)
    return Layer(SEPARATOR.join(pieces), tuple(segments))


def encoded_matches(
    content: bytes,
    survey: Scan,
    surveyed: Survey | None = None,
    depth: int = MAX_DEPTH,
    within: Layer | None = None,
) -> MatchResult:
    """Matches found only by decoding, with `start`/`end` on the encoded text in `content`.

    `surveyed`: the matcher's survey of `content` (see `decode_layer`)."""
    layer = decode_layer(content, surveyed, within) if depth > 0 else None
    if layer is None:
        return NO_MATCHES
    buffer_survey = survey(layer.buffer)
    inner = buffer_survey.result
    deeper = encoded_matches(layer.buffer, survey, buffer_survey, depth - 1, layer)
    matches: list[Match] = []
    for match in (*inner.matches, *deeper.matches):
        segment = layer.segment_at(match.start, match.end)
        if segment is None:
            continue
        start, end = segment.to_parent(match.start), segment.to_parent(match.end)
        matches.append(
            replace(
                match,
                start=max(start, segment.run_start),
                end=max(min(end, segment.run_end), start + 1),
                encoding=(segment.encoding, *match.encoding),
            )
        )
    return MatchResult(
        matches=tuple(matches), timed_out=tuple(sorted({*inner.timed_out, *deeper.timed_out}))
    )
