"""Which assignment rule decides: the most specific, the same way every time, whatever order the rules come in."""
import itertools

from municipal.people.precedence import Rule, deciding, ordered, overlaps

DISTRICT, TOWN, VILLAGE, OTHER_TOWN = "/1/", "/1/4/", "/1/4/17/", "/1/5/"

RULES = [
    Rule(1, None, "", "", team_id=1),
    Rule(2, None, "reservoir", "", user_id=10),
    Rule(3, TOWN, "", "", team_id=2),
    Rule(4, TOWN, "reservoir", "inspection", user_id=11),
    Rule(5, VILLAGE, "", "", user_id=12),
    Rule(6, None, "", "inspection", user_id=13),
]


def decide(rules, path, asset_type, kind):
    found = deciding(ordered(rules), path, asset_type, kind)
    return found.id if found else None


def test_the_most_specific_matching_rule_decides_in_any_order():
    cases = [
        ((VILLAGE, "reservoir", "inspection"), 4),  # area, type and kind named
        ((VILLAGE, "reservoir", "repair"), 5),  # the deeper area over the town's type rule
        ((OTHER_TOWN, "reservoir", "inspection"), 6),  # a named kind before a named type
        ((OTHER_TOWN, "reservoir", "repair"), 2),
        ((TOWN, "manhole", "repair"), 3),
        ((OTHER_TOWN, "manhole", "repair"), 1),
        ((None, "manhole", "repair"), 1),  # a facility without an area: only district-wide rules
    ]
    for permutation in itertools.islice(itertools.permutations(RULES), 0, None, 97):
        for (path, asset_type, kind), expected in cases:
            assert decide(permutation, path, asset_type, kind) == expected


def test_no_rule_no_decision():
    assert decide([Rule(1, OTHER_TOWN, "", "", team_id=1)], TOWN, "manhole", "repair") is None


def test_overlaps_name_the_winner_and_leave_out_rules_that_never_meet():
    found = {(a.id, b.id) for a, b in overlaps(RULES)}
    assert (4, 2) in found and (5, 3) in found and (4, 6) in found
    assert (5, 2) in found and (3, 1) in found
    apart = [Rule(1, TOWN, "reservoir", ""), Rule(2, OTHER_TOWN, "", ""), Rule(3, None, "manhole", "")]
    assert {(a.id, b.id) for a, b in overlaps(apart)} == {(2, 3)}
