"""The OData filter grammar the REST API accepts, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.webpubsub.odata import MAX_DEPTH, MAX_LENGTH, FilterError, Subject, compile_filter

ALICE = Subject(
    user_id="alice", connection_id="c1", protocol="json.webpubsub.azure.v1", groups={"room1", "lobby"}
)
ANON = Subject(user_id=None, connection_id="c2", protocol=None, groups=set())
BOB = Subject(
    user_id="Bob O'Neil", connection_id="c3", protocol="json.reliable.webpubsub.azure.v1", groups={"room2"}
)
ALL = {"alice": ALICE, "anon": ANON, "bob": BOB}


def matching(text: str) -> set[str]:
    keep = compile_filter(text)
    return {name for name, subject in ALL.items() if keep(subject)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userId eq 'alice'", {"alice"}),
        ("userId ne 'alice'", {"anon", "bob"}),
        ("userId eq null", {"anon"}),
        ("userId ne null", {"alice", "bob"}),
        ("connectionId eq 'c2'", {"anon"}),
        ("protocol eq 'json.webpubsub.azure.v1'", {"alice"}),
        ("protocol eq null", {"anon"}),
        ("'room1' in groups", {"alice"}),
        ("not ('room1' in groups)", {"anon", "bob"}),
        ("'room1' in groups or 'room2' in groups", {"alice", "bob"}),
        ("'room1' in groups and userId eq 'bob'", set()),
        ("userId in ('alice', 'Bob O''Neil')", {"alice", "bob"}),
        ("userId eq 'Bob O''Neil'", {"bob"}),
        ("'lobby' in (groups)", {"alice"}),
        ("USERID eq 'alice'", {"alice"}),
        ("true", {"alice", "anon", "bob"}),
        ("false", set()),
        ("not true or userId eq 'alice'", {"alice"}),
        ("userId eq 'alice' or userId eq 'anon' and false", {"alice"}),
        ("(userId eq 'alice' or connectionId eq 'c3') and not ('room2' in groups)", {"alice"}),
        ("length(userId) gt 5", {"bob"}),
        ("length(userId) le 5", {"alice"}),
        ("length(userId) ge 5 and length(userId) lt 6", {"alice"}),
        ("startswith(userId, 'al')", {"alice"}),
        ("endswith(userId, 'Neil')", {"bob"}),
        ("contains(userId, 'O''N')", {"bob"}),
        ("not endswith(userId, 'milk')", {"alice", "anon", "bob"}),
        ("tolower(userId) eq 'bob o''neil'", {"bob"}),
        ("toupper(userId) eq 'ALICE'", {"alice"}),
        ("trim(concat(' ', userId)) eq 'alice'", {"alice"}),
        ("substring(userId, 1) eq 'lice'", {"alice"}),
        ("substring(userId, 1, 2) eq 'li'", {"alice"}),
        ("indexof(userId, 'O''') eq 4", {"bob"}),
        ("userId gt 'B'", {"alice", "bob"}),  # ordinal: lower case sorts after upper
        ("connectionId gt 'c2'", {"bob"}),
        ("connectionId lt 'c2'", {"alice"}),
        ("userId gt null", set()),
        ("-1 lt 0", {"alice", "anon", "bob"}),
    ],
)
def test_filter_selects_the_connections_it_describes(text: str, expected: set[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the filter is empty"),
        ("userId", "the filter is a string, not a boolean expression"),
        ("userId eq", "the filter ends where a value was expected"),
        ("userId eq 'a' and", "the filter ends where a value was expected"),
        ("userId = 'a'", "cannot read '=' at position 7"),
        ('userId eq "a"', "cannot read '\"' at position 10"),
        ("name eq 'a'", "unknown identifier 'name' at position 0"),
        ("userId eq 1", "'eq' at position 7 compares a string with a int"),
        ("groups eq 'a'", "cannot compare a collection; use 'in'"),
        ("'a' in userId", "expected '(' at position 7, found 'userId'"),
        ("1 in groups", "the left side of 'in' must be a string"),
        ("userId in ('a', 1)", "the list after 'in' must hold strings"),
        ("matches(userId, 'a')", "unknown function 'matches' at position 0"),
        ("length(userId, 'a') eq 1", "length at position 0 takes (string), got (string, string)"),
        ("userId eq 'a' xor true", "unexpected 'xor' at position 14"),
        ("(userId eq 'a'", "the filter ends where ')' was expected"),
        ("userId eq 'a')", "unexpected ')' at position 13"),
        ("'a' and true", "'and' needs boolean operands, got a string"),
        ("not userId", "'not' needs boolean operands, got a string"),
        ("userId eq 'unclosed", 'cannot read "\'" at position 10'),
    ],
)
def test_filter_outside_the_grammar_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(text)
    assert problem in str(caught.value)


def test_filter_length_is_limited_at_the_edge() -> None:
    at_limit = "userId eq '" + "a" * (MAX_LENGTH - 12) + "'"
    assert len(at_limit) == MAX_LENGTH
    assert compile_filter(at_limit)(ALICE) is False
    with pytest.raises(FilterError, match=f"longer than {MAX_LENGTH}"):
        compile_filter(at_limit + " ")


def test_filter_nesting_is_limited_at_the_edge() -> None:
    inside = MAX_DEPTH - 1
    assert compile_filter("(" * inside + "true" + ")" * inside)(ALICE) is True
    deeper = MAX_DEPTH + 1
    with pytest.raises(FilterError, match=f"deeper than {MAX_DEPTH}"):
        compile_filter("(" * deeper + "true" + ")" * deeper)
    with pytest.raises(FilterError, match=f"deeper than {MAX_DEPTH}"):
        compile_filter("not " * deeper + "true")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="userIdgroupsnotandor()'=, eqinle0123\t", max_size=60))
def test_any_text_compiles_or_is_refused_with_a_filter_error(text: str) -> None:
    try:
        keep = compile_filter(text)
    except FilterError:
        return
    assert all(keep(subject) in (True, False) for subject in ALL.values())


NAMES = st.text(alphabet="ab'", max_size=3)
SUBJECTS = st.builds(
    Subject,
    user_id=st.none() | NAMES,
    connection_id=NAMES,
    protocol=st.none() | NAMES,
    groups=st.sets(NAMES, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(SUBJECTS, NAMES, NAMES)
def test_and_or_not_agree_with_python_logic(subject: Subject, user: str, group: str) -> None:
    is_user = subject.user_id == user
    in_group = group in subject.groups
    quoted_user, quoted_group = user.replace("'", "''"), group.replace("'", "''")
    a, b = f"userId eq '{quoted_user}'", f"'{quoted_group}' in groups"
    assert compile_filter(f"{a} and not ({b})")(subject) == (is_user and not in_group)
    assert compile_filter(f"not {a} or {b}")(subject) == ((not is_user) or in_group)
