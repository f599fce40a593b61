//! Target `views`: every view's offset map is non-decreasing, in bounds, on
//! character boundaries of the input and covering; `folded` is idempotent.
//! See [`palisade::internal::check_views`].

use crate::{palette, show};
use arbitrary::Arbitrary;
use palisade::internal;

/// Longest input checked.
pub const MAX_INPUT: usize = 64 << 10;

/// The fuzz input.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// View expansion limit is `1 + expansion % 8` (the default is 4).
    pub expansion: u8,
    /// Odd: map `text` through the attack-character palette.
    pub palette: u8,
    /// The text.
    #[arbitrary(with = crate::rest)]
    pub text: Vec<u8>,
}

/// Runs the target.
pub fn check(input: &Input) {
    if input.text.len() > MAX_INPUT {
        return;
    }
    let text = palette::text(input.palette, &input.text);
    if let Err(e) = internal::check_views(&text, 1 + input.expansion as usize % 8) {
        panic!("invariant broken: {e}; input {}", show(&text));
    }
}
