//! Normalisation of what is only formatting: full-width characters, stray spaces.

/// Maps full-width ASCII (`０-９`, `Ａ-Ｚ`, `＋`, `－`, …) and the ideographic space to their
/// half-width forms; every other character is kept.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Half-width, then every kind of white space removed (for codes: ID numbers, phones, tube codes).
pub fn compact(s: &str) -> String {
    to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Half-width, trimmed, and runs of inner white space folded to one space (for names and free text).
pub fn tidy(s: &str) -> String {
    let half = to_half_width(s);
    let mut out = String::with_capacity(half.len());
    for word in half.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_spaces() {
        assert_eq!(compact(" ４１０１ ０３\u{3000}x "), "410103x");
        assert_eq!(tidy("  张\u{3000}\u{3000}三  "), "张 三");
        assert_eq!(to_half_width("＋８６"), "+86");
    }
}
