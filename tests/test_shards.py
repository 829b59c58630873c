"""`cableroute posts --shard I/N`: N processes together host every post exactly once."""

from __future__ import annotations

import pytest

from replay.cli import main
from replay.engine.shards import Shard, parse_shard
from router.synth.topology import wide_topology


def test_the_shards_of_a_topology_host_every_post_exactly_once() -> None:
    posts = list(wide_topology(1000).posts)
    for count in (1, 2, 3, 7):
        shares = [parse_shard(f"{index}/{count}").posts(reversed(posts)) for index in range(1, count + 1)]
        hosted = [post for share in shares for post in share]
        assert sorted(hosted) == sorted(posts)  # every post, none twice
        assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert Shard(2, 3).posts(["RUEHC", "RUEHA", "RUEHB", "RUEHD", "RUEHA"]) == ["RUEHB"]
    assert str(parse_shard(" 2 / 3 ")) == "2/3"


@pytest.mark.parametrize(
    ("text", "message"),
    [("0/3", "between 1 and N"), ("4/3", "between 1 and N"), ("2", "takes I/N"), ("a/b", "takes I/N")],
)
def test_a_bad_shard_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard(text)


def test_posts_refuses_a_bad_shard_before_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CABLEROUTE_KEY", "test-key-0123456789abcdef")
    code = main(["posts", "--broker", "mqtt://127.0.0.1:1", "--shard", "3/2"])
    assert code == 2
    assert "I must be between 1 and N" in capsys.readouterr().err
