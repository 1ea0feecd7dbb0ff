"""Every unusable CSV gets a clear message; a usable one gives its numeric columns."""

import pytest

from lab.uploads import read_numeric_csv


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"a,b\nx,y\nz,w\n", "no numeric column"),
        (b"a,b\n,\n,\n", "no numeric column"),
        (b"a\n1\n", "1 complete row"),
        (b"a,a\n1,2\n3,4\n", "repeats column name"),
    ],
)
def test_unusable_files_are_refused_with_a_message(content, message):
    with pytest.raises(ValueError, match=message):
        read_numeric_csv(content)


def test_too_large_is_refused_before_parsing():
    with pytest.raises(ValueError, match="limit"):
        read_numeric_csv(b"a\n" + b"1\n" * 100, max_bytes=50)


def test_missing_values_are_dropped_and_counted():
    frame, notes = read_numeric_csv(b"x,y,name\n1,2,a\n3,,b\n5,6,c\n")
    assert frame.to_dict("list") == {"x": [1.0, 5.0], "y": [2.0, 6.0]}
    assert any("dropped 1 row" in n for n in notes)
    assert any("name" in n for n in notes)


def test_row_limit():
    with pytest.raises(ValueError, match="at most 2"):
        read_numeric_csv(b"a\n1\n2\n3\n", max_rows=2)
