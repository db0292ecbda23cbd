"""WatchTrajectory's diff (grpcapi.watch.changes) and a client's side of it (apply): every
sequence of trajectories arrives whole, and only differing entries are sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracechat.grpcapi.watch import Sent, apply, changes
from tracechat.store.commits import CommitFeed
from tracechat.v1 import trajectory_pb2 as pb


def message(span: int, text: str) -> pb.AgentChatMessage:
    return pb.AgentChatMessage(type="user_message", span_id=f"{span:016x}", user_message=pb.UserMessage(text=text))


def trajectory(messages: list[pb.AgentChatMessage], name: str | None = None) -> pb.AgentChatTrajectory:
    return pb.AgentChatTrajectory(trace_id="ab" * 16, root_span_name=name, messages=messages)


def test_an_appended_entry_is_all_that_is_sent() -> None:
    sent = Sent()
    first = changes(sent, trajectory([message(1, "a")]))
    assert first is not None
    assert [c.index for c in first.changes] == [0]
    second = changes(sent, trajectory([message(1, "a"), message(2, "b")]))
    assert second is not None
    assert [(c.index, c.message.user_message.text) for c in second.changes] == [(1, "b")]
    assert second.message_count == 2


def test_nothing_changed_sends_nothing_but_a_header_change_is_sent() -> None:
    sent = Sent()
    assert changes(sent, trajectory([message(1, "a")])) is not None
    assert changes(sent, trajectory([message(1, "a")])) is None
    renamed = changes(sent, trajectory([message(1, "a")], name="root"))
    assert renamed is not None
    assert (renamed.root_span_name, list(renamed.changes)) == ("root", [])


def test_an_empty_trajectory_is_sent_once() -> None:
    sent = Sent()
    first = changes(sent, trajectory([]))
    assert first is not None
    assert first.message_count == 0
    assert changes(sent, trajectory([])) is None


texts = st.lists(st.sampled_from("abc"), max_size=6)


@given(st.lists(texts, min_size=1, max_size=6))
def test_the_changes_add_up_to_each_trajectory(steps: list[list[str]]) -> None:
    sent, held = Sent(), []
    for step in steps:
        target = [message(i, t) for i, t in enumerate(step)]
        before = list(held)
        response = changes(sent, trajectory(target, name=str(len(step))))
        if response is None:  # the same trajectory again
            assert held == target
            continue
        for change in response.changes:
            assert change.index >= len(before) or before[change.index] != change.message
        apply(held, response)
        assert held == target


def test_a_commit_wakes_the_watches_of_its_traces_only() -> None:
    feed = CommitFeed()
    with feed.subscribe("t1") as one, feed.subscribe("t2") as two:
        assert feed.watched
        feed.publish({"t1", "t3"})
        assert one.wait(0)
        assert not one.wait(0)  # woken once per commit seen
        assert not two.wait(0)
    assert not feed.watched
