"""The consent rule: what a person's ledger says at a given moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.consent import Choice, LedgerEntry, consent_version, may_keep, state_at

T0 = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


def entry(choice: Choice, minutes: int, version: str = "v1") -> LedgerEntry:
    return LedgerEntry(choice, T0 + timedelta(minutes=minutes), version)


def test_nobody_is_recorded_by_default() -> None:
    state = state_at([], T0)
    assert not state.decided
    assert not state.recording
    assert not state.quote
    assert state.text_version is None
    assert "not recorded" in state.label


def test_record_then_decline_stops_recording() -> None:
    ledger = [entry(Choice.RECORD, 0), entry(Choice.DECLINE, 10)]
    assert state_at(ledger, T0 + timedelta(minutes=5)).recording
    after = state_at(ledger, T0 + timedelta(minutes=10))
    assert after.decided
    assert not after.recording
    assert after.label == "not recorded"


def test_quote_needs_recording_and_withdrawal_ends_it() -> None:
    ledger = [entry(Choice.QUOTE, 0), entry(Choice.RECORD, 1), entry(Choice.WITHDRAW, 5), entry(Choice.RECORD, 9)]
    assert not state_at(ledger, T0).quote  # quote alone records nothing
    assert state_at(ledger, T0 + timedelta(minutes=2)).quote
    withdrawn = state_at(ledger, T0 + timedelta(minutes=6))
    assert withdrawn.withdrawn
    assert not withdrawn.recording
    assert not withdrawn.quote
    assert withdrawn.label.startswith("withdrawn")
    # Re-consenting after withdrawal records again but does not bring quoting back.
    again = state_at(ledger, T0 + timedelta(minutes=9))
    assert again.recording
    assert not again.withdrawn
    assert not again.quote


def test_no_quote_turns_quoting_off() -> None:
    ledger = [entry(Choice.RECORD, 0), entry(Choice.QUOTE, 1), entry(Choice.NO_QUOTE, 2)]
    assert state_at(ledger, T0 + timedelta(minutes=1)).quote
    assert not state_at(ledger, T0 + timedelta(minutes=2)).quote
    assert state_at(ledger, T0 + timedelta(minutes=2)).recording


def test_entries_after_the_moment_are_ignored() -> None:
    ledger = [entry(Choice.RECORD, 10, "new")]
    assert not state_at(ledger, T0 + timedelta(minutes=9, seconds=59)).decided
    at_moment = state_at(ledger, T0 + timedelta(minutes=10))
    assert at_moment.recording
    assert at_moment.text_version == "new"


def test_without_a_moment_the_whole_ledger_counts() -> None:
    ledger = [entry(Choice.RECORD, 0), entry(Choice.DECLINE, 1000)]
    assert not state_at(ledger).recording


def test_consent_version_ignores_trailing_spaces_but_not_wording() -> None:
    text = "Your words are recorded.\nYou may withdraw."
    assert consent_version(text) == consent_version("Your words are recorded.   \nYou may withdraw.  \n\n")
    assert consent_version(text) != consent_version("Your words are recorded.\nYou may not withdraw.")
    assert len(consent_version(text)) == 12


def test_words_may_be_kept_only_if_recorded_then_and_not_withdrawn_since() -> None:
    ledger = [entry(Choice.RECORD, 0), entry(Choice.WITHDRAW, 10), entry(Choice.RECORD, 20)]
    assert not may_keep(ledger, T0 + timedelta(minutes=5))  # erased by the later withdrawal
    assert not may_keep(ledger, T0 + timedelta(minutes=10))
    assert may_keep(ledger, T0 + timedelta(minutes=25))
    assert not may_keep([entry(Choice.DECLINE, 0)], T0 + timedelta(minutes=5))
    assert may_keep([entry(Choice.RECORD, 0), entry(Choice.DECLINE, 10)], T0 + timedelta(minutes=5))
