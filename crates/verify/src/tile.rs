//! C2SP tlog-tiles path arithmetic: tile height 8, 256 hashes a tile.
//!
//! `tile/<L>/<N>[.p/<W>]` for hash tiles and `tile/entries/<N>[.p/<W>]` for
//! entry bundles, `<N>` written as zero-padded three-digit groups where all
//! but the last begin with `x` (1234067 → `x001/x234/067`).

/// log2 of the tile width.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// `<N>` of a tile path.
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width == TILE_WIDTH {
        base
    } else {
        format!("{base}.p/{width}")
    }
}

/// Path of hash tile `index` at `level` holding `width` hashes (1..=256),
/// relative to the log prefix.
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    debug_assert!((1..=TILE_WIDTH).contains(&width));
    with_width(format!("tile/{level}/{}", encode_index(index)), width)
}

/// Path of entry bundle `index` holding `width` entries (1..=256).
pub fn bundle_path(index: u64, width: u64) -> String {
    debug_assert!((1..=TILE_WIDTH).contains(&width));
    with_width(format!("tile/entries/{}", encode_index(index)), width)
}

/// Width of the rightmost tile at `level` for a tree of `size` leaves:
/// `floor(size / 256^level) mod 256` (0: that level has no partial tile).
pub fn partial_width(size: u64, level: u8) -> u64 {
    level_len(size, level) % TILE_WIDTH
}

/// Number of hashes stored at `level` for a tree of `size` leaves, that is,
/// the number of full subtrees of height `8 * level`.
pub fn level_len(size: u64, level: u8) -> u64 {
    let shift = TILE_HEIGHT * level as u32;
    if shift >= 64 {
        0
    } else {
        size >> shift
    }
}

/// The width of tile `index` at `level` in a tree of `size`: 256 when full,
/// the partial width when it is the rightmost one, `None` when the tile does
/// not exist at that size.
pub fn tile_width_at(size: u64, level: u8, index: u64) -> Option<u64> {
    let len = level_len(size, level);
    let start = index.checked_mul(TILE_WIDTH)?;
    if start >= len {
        None
    } else {
        Some((len - start).min(TILE_WIDTH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_follows_the_spec_example() {
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
    }

    #[test]
    fn paths() {
        assert_eq!(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(2, 5, 17), "tile/2/005.p/17");
        assert_eq!(bundle_path(3, 1), "tile/entries/003.p/1");
    }

    #[test]
    fn spec_example_tree_of_70000() {
        // "273 full level 0 tiles, one partial level 0 tile of width 112, one full
        // level 1 tile, one partial level 1 tile of width 17, one partial level 2
        // tile of width 1".
        assert_eq!(level_len(70_000, 0) / 256, 273);
        assert_eq!(partial_width(70_000, 0), 112);
        assert_eq!(partial_width(70_000, 1), 17);
        assert_eq!(partial_width(70_000, 2), 1);
        assert_eq!(partial_width(70_000, 3), 0);
        assert_eq!(tile_width_at(70_000, 1, 0), Some(256));
        assert_eq!(tile_width_at(70_000, 1, 1), Some(17));
        assert_eq!(tile_width_at(70_000, 1, 2), None);
    }
}
