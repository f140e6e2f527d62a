"""Identity codes: <TYPE>-<BODY>-<CHECK>, e.g. RSV-7K3Q9-G.

The body is random Crockford Base32; the check character is Luhn mod 32 over the
type prefix and the body, which catches every single-character error and almost
every swap of two neighbours. Pure: no Flask, no database.
"""
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
BODY_LENGTH = 5
# Crockford's look-alikes: people and OCR confuse these with digits.
LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


class CodeError(ValueError):
    """A string that is not a well-formed identity code; `reason` says why."""

    def __init__(self, reason: str, text: str):
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


def check_char(payload: str) -> str:
    """Luhn mod N over the Crockford alphabet (N = 32)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for char in reversed(payload):
        addend = factor * VALUES[char]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def is_valid(payload_with_check: str) -> bool:
    return check_char(payload_with_check[:-1]) == payload_with_check[-1]


def generate(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return format_code(prefix, body, check_char(prefix + body))


def format_code(prefix: str, body: str, check: str) -> str:
    return f"{prefix}-{body}-{check}"


def split(text: str, prefixes) -> tuple[str, str, str]:
    """Normalise any spelling of a code to (prefix, body, check) without checking it.

    Accepts any case, spaces, missing or extra hyphens and Crockford look-alikes.
    Raises CodeError("unknown_prefix" | "bad_length" | "bad_character").
    """
    compact = "".join(text.split()).upper().replace("-", "").translate(LOOKALIKES)
    prefix_length = len(compact) - BODY_LENGTH - 1
    prefix = compact[:prefix_length] if prefix_length > 0 else ""
    if prefix_length < 1:
        raise CodeError("bad_length", text)
    if prefix not in prefixes:
        raise CodeError("unknown_prefix", text)
    rest = compact[prefix_length:]
    if any(c not in VALUES for c in rest):
        raise CodeError("bad_character", text)
    return prefix, rest[:BODY_LENGTH], rest[BODY_LENGTH:]


def normalize(text: str, prefixes) -> str:
    """The canonical form of a code; raises CodeError, including "bad_check"."""
    prefix, body, check = split(text, prefixes)
    if check_char(prefix + body) != check:
        raise CodeError("bad_check", text)
    return format_code(prefix, body, check)


def near_misses(text: str, prefixes) -> list[str]:
    """Valid codes one typo away from `text`: one changed character or one swap of neighbours.

    Used to suggest what a person probably meant when a code fails its check.
    """
    try:
        prefix, body, check = split(text, prefixes)
    except CodeError:
        return []
    payload = prefix + body + check
    start = len(prefix)  # the prefix is a known word; typos are looked for in body and check
    candidates = set()
    for i in range(start, len(payload)):
        for c in ALPHABET:
            if c != payload[i]:
                candidates.add(payload[:i] + c + payload[i + 1:])
    for i in range(start, len(payload) - 1):
        candidates.add(payload[:i] + payload[i + 1] + payload[i] + payload[i + 2:])
    return sorted(
        format_code(prefix, p[start:start + BODY_LENGTH], p[-1])
        for p in candidates
        if is_valid(p)
    )
