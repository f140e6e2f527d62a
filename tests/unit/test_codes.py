"""Identity codes: the check character, normalisation and suggestions, over thousands of codes."""
import random

import pytest

from municipal.assets.identity import codes
from municipal.assets.types import PREFIXES


def sample_codes(n, seed=7):
    rng = random.Random(seed)
    prefixes = sorted(PREFIXES)
    out = []
    for _ in range(n):
        prefix = rng.choice(prefixes)
        body = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.BODY_LENGTH))
        out.append(codes.format_code(prefix, body, codes.check_char(prefix + body)))
    return out


def test_generated_codes_have_the_documented_shape_and_validate():
    for prefix in PREFIXES:
        code = codes.generate(prefix)
        head, body, check = code.split("-")
        assert head == prefix and len(body) == codes.BODY_LENGTH and len(check) == 1
        assert all(c in codes.ALPHABET for c in body + check)
        assert codes.normalize(code, PREFIXES) == code


def test_every_single_character_change_is_caught():
    for code in sample_codes(3000):
        payload = code.replace("-", "")
        for i in range(len(payload)):
            for c in codes.ALPHABET:
                if c != payload[i]:
                    assert not codes.is_valid(payload[:i] + c + payload[i + 1:]), (code, i, c)


def test_at_least_99_percent_of_neighbour_swaps_are_caught():
    swaps = caught = 0
    for code in sample_codes(5000):
        payload = code.replace("-", "")
        for i in range(len(payload) - 1):
            if payload[i] == payload[i + 1]:
                continue  # swapping equal characters changes nothing
            swaps += 1
            caught += not codes.is_valid(payload[:i] + payload[i + 1] + payload[i] + payload[i + 2:])
    assert swaps > 30000
    assert caught / swaps >= 0.99, caught / swaps


@pytest.mark.parametrize("spelling", ["rsv-7k3q9-?", "RSV7K3Q9?", " rsv 7k3q9 ? ", "R-S-V-7K3Q9-?"])
def test_any_case_spacing_and_missing_hyphens_normalise(spelling):
    canonical = "RSV-7K3Q9-" + codes.check_char("RSV7K3Q9")
    assert codes.normalize(spelling.replace("?", canonical[-1]), PREFIXES) == canonical


def test_crockford_lookalikes_read_as_digits():
    canonical = "MH-10B1" + "0-" + codes.check_char("MH10B10")
    assert codes.normalize("mh-iOBl" + "o-" + canonical[-1], PREFIXES) == canonical


@pytest.mark.parametrize("text,reason", [
    ("", "bad_length"), ("RSV", "bad_length"), ("XYZ-7K3Q9-G", "unknown_prefix"),
    ("RSV-7K3Q9-U", "bad_character"), ("RSV-7K3Q9-!", "bad_character"),
])
def test_malformed_codes_say_why(text, reason):
    with pytest.raises(codes.CodeError) as error:
        codes.normalize(text, PREFIXES)
    assert error.value.reason == reason


def test_a_wrong_check_character_is_reported_as_such():
    code = sample_codes(1)[0]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(codes.CodeError) as error:
        codes.normalize(wrong, PREFIXES)
    assert error.value.reason == "bad_check"


def test_near_misses_find_the_intended_code_after_one_typo():
    for code in sample_codes(200, seed=11):
        payload = code.replace("-", "")
        i = len(payload) - 3
        typo = payload[:i] + ("Z" if payload[i] != "Z" else "Y") + payload[i + 1:]
        assert code in codes.near_misses(typo, PREFIXES)
        swapped = payload[:i] + payload[i + 1] + payload[i] + payload[i + 2:]
        if swapped != payload and not codes.is_valid(swapped):
            assert code in codes.near_misses(swapped, PREFIXES)
