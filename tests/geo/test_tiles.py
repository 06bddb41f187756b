from hypothesis import given
from hypothesis import strategies as st

from testigo.geo import tiles


@given(st.integers(0, 2**20 - 1), st.integers(0, 2**20 - 1))
def test_morton_round_trips(x, y):
    assert tiles.unmorton(tiles.morton(x, y)) == (x, y)


@given(st.floats(-85.0, 85.0), st.floats(-180.0, 179.999), st.integers(0, 20))
def test_shifted_key_is_the_tile_at_a_lower_zoom(lat, lon, zoom):
    key = tiles.tile_key(lat, lon)
    assert tiles.unmorton(key >> (2 * (20 - zoom))) == tiles.lonlat_to_tile(lon, lat, zoom)


def test_poles_and_antimeridian_are_clamped_to_edge_tiles():
    n = 2**20 - 1
    assert tiles.lonlat_to_tile(180.0, 90.0) == (n, 0)
    assert tiles.lonlat_to_tile(-180.0, -90.0) == (0, n)
    assert tiles.tile_key(None, 1.0) is None
