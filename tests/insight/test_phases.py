"""Phase notes on hand-built sequences."""

from lab.insight.phases import MIN_RUN, phases


def _kinds(values):
    return [(p.kind, p.start, p.end) for p in phases(range(len(values)), values, "loss")]


def test_a_sign_flipping_sequence_oscillates():
    assert _kinds([(-0.9) ** k for k in range(30)]) == [("oscillating", 0, 29)]


def test_a_flat_stretch_is_a_plateau_and_a_geometric_fall_is_not():
    values = [0.5**k for k in range(10)] + [0.5**9] * 12
    assert _kinds(values) == [("plateau", 9, 21)]
    assert _kinds([0.5**k for k in range(30)]) == []


def test_growth_to_the_end_is_divergence_from_where_it_starts():
    values = [1.0 / (k + 1) for k in range(10)] + [0.1 * 2**k for k in range(10)] + [float("inf")]
    found = _kinds(values)
    assert found[-1] == ("diverging", 10, 20)
    assert all(kind != "diverging" for kind, *_ in found[:-1])


def test_short_runs_are_not_phases():
    assert _kinds([1.0, -1.0, 1.0, -1.0]) == []
    assert _kinds([1.0] * (MIN_RUN - 1) + [0.5 ** k for k in range(10)]) == []
