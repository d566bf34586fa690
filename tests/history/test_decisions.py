"""The plain history decisions: ids, row keys, the stored message, pages, retention."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat import history
from chat.history import MAX_PAGE_BYTES, MAX_STORED_TEXT, Page, StoredMessage
from chat.settings import Settings, SettingsError
from codec import strict_json

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
times = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))


def message(n: int, text: str = "hi", room: str = "lobby", sender: str = "alice") -> StoredMessage:
    return history.new_message(f"event-{n}", T0 + timedelta(seconds=n), room, sender, text)


def test_a_retried_event_gets_the_same_id_and_another_event_another():
    first = history.message_id("ce-1", T0)
    assert history.message_id("ce-1", T0) == first
    assert history.message_id("ce-2", T0) != first
    assert history.message_id("ce-1", T0 + timedelta(milliseconds=1)) != first


def test_an_id_is_24_hex_digits_starting_with_the_time_in_milliseconds():
    value = history.message_id("ce-1", T0)
    assert len(value) == history.MESSAGE_ID_LENGTH == 24
    assert int(value[:12], 16) == int(T0.timestamp() * 1000)
    assert history.is_message_id(value)
    assert history.message_time(value) == T0.replace(microsecond=123000)


def test_an_id_reads_the_same_time_in_any_time_zone():
    paris = T0.astimezone(timezone(timedelta(hours=1)))
    assert history.message_id("ce-1", paris) == history.message_id("ce-1", T0)


@pytest.mark.parametrize(
    "when",
    [datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2025, 1, 1)],
    ids=["before 1970", "naive"],
)
def test_a_time_an_id_cannot_hold_is_refused(when):
    with pytest.raises(ValueError):
        history.message_id("ce-1", when)


@given(st.lists(st.tuples(st.text(max_size=20), times), min_size=2, max_size=20))
def test_ids_sort_by_time_and_row_keys_in_exactly_the_reverse_order(events):
    ids = [history.message_id(ce_id, at) for ce_id, at in events]
    by_time = sorted(zip(ids, events, strict=True), key=lambda pair: pair[1][1])
    # Sorted as strings, ids follow their times (equal milliseconds: any order).
    assert [history.message_time(i) for i in sorted(ids)] == sorted(
        history.message_time(i) for i, _ in by_time
    )
    assert sorted(ids, key=history.row_key) == sorted(ids, reverse=True)


@given(times, st.text(max_size=40))
def test_a_row_key_gives_its_id_back(at, ce_id):
    value = history.message_id(ce_id, at)
    key = history.row_key(value)
    assert key != value
    assert history.id_of_row_key(key) == value


@pytest.mark.parametrize(
    "value",
    ["", "0" * 23, "0" * 25, "0" * 23 + "g", "0" * 23 + "A", None, 12, "0" * 23 + "/"],
)
def test_what_is_not_an_id_is_no_cursor_and_has_no_row_key(value):
    assert not history.is_message_id(value)
    if isinstance(value, str):
        with pytest.raises(ValueError):
            history.row_key(value)
        with pytest.raises(ValueError):
            history.id_of_row_key(value)


def test_the_retention_keeps_the_cutoffs_millisecond_and_nothing_older():
    cutoff = T0
    bound = history.oldest_kept_row_key(cutoff)
    same_ms = history.message_id("z", T0.replace(microsecond=123999))
    older = history.message_id("a", T0 - timedelta(milliseconds=1))
    newer = history.message_id("a", T0 + timedelta(milliseconds=1))
    assert history.row_key(same_ms) <= bound
    assert history.row_key(newer) <= bound
    assert history.row_key(older) > bound


def test_a_cutoff_before_1970_keeps_everything():
    bound = history.oldest_kept_row_key(datetime(1900, 1, 1, tzinfo=UTC))
    assert history.row_key(history.message_id("x", datetime(1970, 1, 1, tzinfo=UTC))) <= bound


def test_the_cutoff_is_days_before_now_and_zero_days_keeps_all():
    assert history.retention_cutoff(T0, 30) == T0 - timedelta(days=30)
    assert history.retention_cutoff(T0, 1) == T0 - timedelta(days=1)
    assert history.retention_cutoff(T0, 0) is None
    early = datetime(1, 1, 2, tzinfo=UTC)
    assert history.retention_cutoff(early, 36_500) == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        history.retention_cutoff(T0, -1)


def test_the_wire_form_of_a_message_and_of_a_deleted_one():
    stored = history.new_message("ce-1", T0, "lobby", "alice", "hello")
    assert stored.wire() == {
        "type": "message",
        "id": stored.id,
        "from": "alice",
        "room": "lobby",
        "text": "hello",
        "at": "2025-03-01T12:00:00.123Z",
    }
    assert list(stored.wire()) == ["type", "id", "from", "room", "text", "at"]
    gone = stored.as_deleted()
    assert gone.wire() == {
        "type": "message",
        "id": stored.id,
        "from": "alice",
        "room": "lobby",
        "deleted": True,
        "at": "2025-03-01T12:00:00.123Z",
    }
    assert list(gone.wire()) == ["type", "id", "from", "room", "deleted", "at"]


def test_a_message_at_a_whole_second_still_shows_its_milliseconds():
    stored = history.new_message("ce-1", T0.replace(microsecond=0), "lobby", "alice", "x")
    assert stored.wire()["at"] == "2025-03-01T12:00:00.000Z"


def test_a_stored_message_refuses_a_bad_id_a_deleted_text_and_a_text_past_the_row_limit():
    good = history.message_id("ce", T0)
    with pytest.raises(ValueError, match="message id"):
        StoredMessage("nope", "lobby", "alice", "x")
    with pytest.raises(ValueError, match="deleted"):
        StoredMessage(good, "lobby", "alice", "x", deleted=True)
    StoredMessage(good, "lobby", "alice", "a" * MAX_STORED_TEXT)
    with pytest.raises(ValueError, match="UTF-16"):
        StoredMessage(good, "lobby", "alice", "a" * (MAX_STORED_TEXT + 1))


def test_a_text_fits_by_its_utf16_length_not_its_characters():
    astral = "\U0001f600"  # two UTF-16 code units
    assert history.text_fits(astral * (MAX_STORED_TEXT // 2))
    assert not history.text_fits(astral * (MAX_STORED_TEXT // 2) + "a")
    assert history.text_fits("é" * MAX_STORED_TEXT)
    assert not history.text_fits("é" * (MAX_STORED_TEXT + 1))


def test_a_page_is_the_newest_limit_oldest_first_with_more_when_one_was_left():
    newest_first = [message(n) for n in range(9, -1, -1)]
    page = history.page(newest_first[:4], 3)
    assert page == Page((message(7), message(8), message(9)), more=True)
    assert history.page(newest_first[:3], 3) == Page((message(7), message(8), message(9)), more=False)
    assert history.page([], 3) == Page((), more=False)
    assert page.wire() == [message(7).wire(), message(8).wire(), message(9).wire()]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_a_page_limit_out_of_range_is_refused(limit):
    with pytest.raises(ValueError, match="limit"):
        history.page([message(1)], limit)


def test_a_page_holds_at_most_256_kib_of_json():
    # Each message's JSON is about 30 KB: nine of them would pass the cap.
    big = [message(n, text="x" * 30_000) for n in range(10, 0, -1)]
    page = history.page(big, 10)
    assert len(page.messages) == 8
    assert page.more
    assert page.messages == tuple(reversed(big[:8]))
    assert len(strict_json.dumps(page.wire())) <= MAX_PAGE_BYTES


def messages_of_json_size(total: int, count: int) -> list[StoredMessage]:
    """``count`` messages, newest first, whose JSON array is exactly ``total`` bytes."""
    empty = [message(n, text="") for n in range(count, 0, -1)]
    room_left = total - len(strict_json.dumps([m.wire() for m in empty]))
    share, extra = divmod(room_left, count)
    return [message(n, text="y" * (share + (extra if n == count else 0))) for n in range(count, 0, -1)]


def test_a_page_of_exactly_256_kib_is_whole_and_one_byte_more_is_cut():
    exact = messages_of_json_size(MAX_PAGE_BYTES, 9)
    assert len(strict_json.dumps([m.wire() for m in exact])) == MAX_PAGE_BYTES
    assert history.page(exact, 9) == Page(tuple(reversed(exact)), more=False)
    over = messages_of_json_size(MAX_PAGE_BYTES + 1, 9)
    assert history.page(over, 9) == Page(tuple(reversed(over[:8])), more=True)


def test_the_byte_cap_counts_escaped_json_not_characters():
    # Non-ASCII text is written as \\uXXXX: six bytes a character.
    wide = [message(n, text="é" * 16_000) for n in range(3, 0, -1)]
    page = history.page(wide, 3)
    assert len(page.messages) == 2  # 3 x 96 KB > 256 KiB
    assert page.more
    assert len(strict_json.dumps(page.wire())) <= MAX_PAGE_BYTES


def test_the_largest_storable_message_fits_a_page_alone():
    sender = "u" * 1024
    worst = StoredMessage(history.message_id("ce", T0), "r" * 64, sender, "\x00" * MAX_STORED_TEXT)
    assert len(strict_json.dumps([worst.wire()])) < MAX_PAGE_BYTES
    assert history.page([worst, message(1)], 1) == Page((worst,), more=True)


@pytest.mark.parametrize("value, ok", [(1, True), (100, True), (50, True), (0, False), (101, False)])
def test_a_history_limit_is_an_integer_from_1_to_100(value, ok):
    assert history.is_page_limit(value) is ok


@pytest.mark.parametrize("value", [True, 1.0, "5", None])
def test_a_history_limit_of_another_type_is_refused(value):
    assert not history.is_page_limit(value)


def test_history_settings_default_to_30_days_and_pages_of_50():
    settings = Settings.from_env({})
    assert (settings.history_days, settings.history_page) == (30, 50)


def test_history_settings_are_read_and_0_days_keeps_everything():
    settings = Settings.from_env({"ChatHistoryDays": "0", "ChatHistoryPage": "100"})
    assert (settings.history_days, settings.history_page) == (0, 100)
    assert Settings.from_env({"ChatHistoryDays": "36500", "ChatHistoryPage": "1"}).history_days == 36_500


@pytest.mark.parametrize(
    "env, text",
    [
        ({"ChatHistoryDays": "-1"}, "ChatHistoryDays must be between 0 and 36500"),
        ({"ChatHistoryDays": "36501"}, "ChatHistoryDays must be between 0 and 36500"),
        ({"ChatHistoryDays": "a month"}, "ChatHistoryDays must be a whole number"),
        ({"ChatHistoryPage": "0"}, "ChatHistoryPage must be between 1 and 100"),
        ({"ChatHistoryPage": "101"}, "ChatHistoryPage must be between 1 and 100"),
    ],
)
def test_a_malformed_history_setting_is_named(env, text):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert str(caught.value) == text


def test_ids_cover_every_time_from_1970_to_the_last_a_datetime_holds():
    start = datetime(1970, 1, 1, tzinfo=UTC)
    assert history.message_id("ce", start)[:12] == "0" * 12
    last = datetime.max.replace(tzinfo=UTC)
    assert history.message_time(history.message_id("ce", last)) == last.replace(microsecond=999000)


def test_an_id_hashes_the_events_utf8_bytes_even_with_a_lone_surrogate():
    assert history.message_id("ce-1", T0)[12:] == hashlib.sha256(b"ce-1").hexdigest()[:12]
    assert history.message_id("é", T0)[12:] == hashlib.sha256("é".encode()).hexdigest()[:12]
    # JSON can spell a lone surrogate ("\ud800"): it is hashed, not refused.
    alone = history.message_id("\ud800", T0)
    assert alone[12:] == hashlib.sha256(b"\xed\xa0\x80").hexdigest()[:12]
    assert alone != history.message_id("\ud801", T0)


def test_a_timestamp_is_utc_to_the_millisecond_from_any_zone():
    paris = datetime(2025, 3, 1, 13, 0, 0, 123999, tzinfo=timezone(timedelta(hours=1)))
    assert history.timestamp(paris) == "2025-03-01T12:00:00.123Z"
    with pytest.raises(ValueError, match="^a time without a time zone is ambiguous$"):
        history.timestamp(datetime(2025, 3, 1))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: history.message_id("ce", datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
            "the event's time is before 1970, where message ids start",
        ),
        (lambda: history.message_id("ce", datetime(2025, 1, 1)), "a time without a time zone is ambiguous"),
        (lambda: history.row_key("nope"), "not a message id (24 lowercase hex digits)"),
        (
            lambda: StoredMessage(history.message_id("ce", T0), "lobby", "alice", "x", deleted=True),
            "a deleted message keeps no text",
        ),
        (lambda: history.retention_cutoff(T0, -1), "days must be 0 or more"),
    ],
    ids=["before 1970", "naive", "not an id", "deleted with text", "negative days"],
)
def test_each_refusal_says_what_was_wrong(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message
