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

/// Orders names as people count them: runs of digits compare as numbers, so `2号楼` comes
/// before `10号楼` and room `102` before `1001`; the rest compares by character. Names that
/// differ only in leading zeros (`01`, `1`) keep a stable order (the shorter run first).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let m = digit_run(&mut x);
                let n = digit_run(&mut y);
                let (mt, nt) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                // Without leading zeros, a longer run is a larger number; equal lengths compare
                // digit by digit.
                let by_value = mt.len().cmp(&nt.len()).then_with(|| mt.cmp(nt));
                if by_value != Ordering::Equal {
                    return by_value;
                }
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                x.next();
                y.next();
            }
        }
    }
}

/// Sorts names in [`natural_cmp`] order.
pub fn sort_natural<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| natural_cmp(name(a), name(b)));
}

fn digit_run(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut run = String::new();
    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
        run.push(c);
        it.next();
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        sort_natural(&mut v, |s| s.as_str());
        v
    }

    #[test]
    fn numbers_in_names_count_as_numbers() {
        assert_eq!(
            sorted(&["10号楼", "2号楼", "1号楼", "11号楼", "3号楼"]),
            ["1号楼", "2号楼", "3号楼", "10号楼", "11号楼"]
        );
        assert_eq!(
            sorted(&["1001", "102", "101", "201", "1002", "99"]),
            ["99", "101", "102", "201", "1001", "1002"]
        );
        assert_eq!(
            sorted(&["2单元", "10单元", "1单元"]),
            ["1单元", "2单元", "10单元"]
        );
    }

    #[test]
    fn text_and_mixed_names_keep_an_order() {
        // Text compares by character; a name that is a prefix comes first.
        assert_eq!(sorted(&["B座", "A座", "A"]), ["A", "A座", "B座"]);
        assert_eq!(
            sorted(&["3号楼2单元", "3号楼10单元", "3号楼1单元"]),
            ["3号楼1单元", "3号楼2单元", "3号楼10单元"]
        );
        assert_eq!(
            sorted(&["1-201", "1-1001", "1-102"]),
            ["1-102", "1-201", "1-1001"]
        );
        // Leading zeros: equal numbers, still a total order.
        assert_eq!(sorted(&["01", "1", "001"]), ["001", "01", "1"]);
        assert_eq!(natural_cmp("12", "12"), std::cmp::Ordering::Equal);
        // Digits beyond any integer type still compare.
        assert_eq!(
            natural_cmp("123456789012345678901234567890", "99"),
            std::cmp::Ordering::Greater
        );
    }

    #[test]
    fn full_width_digits_and_spaces() {
        assert_eq!(compact(" ４１０１ ０３\u{3000}x "), "410103x");
        assert_eq!(tidy("  张\u{3000}\u{3000}三  "), "张 三");
        assert_eq!(to_half_width("＋８６"), "+86");
    }
}

/// A name as a slip on a door may show it: the first and last characters of a Chinese name
/// with `*` between (`张*`, `张*丰`, `欧**娜`), the first letter of each word of a Latin name
/// (`J*** S***`).
pub fn mask_name(name: &str) -> String {
    let name = tidy(name);
    if name.chars().any(|c| c.is_ascii_alphabetic()) {
        return name
            .split(' ')
            .filter_map(|w| w.chars().next())
            .map(|c| format!("{c}***"))
            .collect::<Vec<_>>()
            .join(" ");
    }
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod mask_tests {
    use super::mask_name;

    #[test]
    fn names_keep_their_first_and_last_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("John Smith"), "J*** S***");
        assert_eq!(mask_name("王"), "*");
    }
}
