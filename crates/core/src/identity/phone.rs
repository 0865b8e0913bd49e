//! Phone numbers as offices write them: mobiles (`1[3-9]` and 9 digits) and landlines (an area
//! code starting with 0, then 7 or 8 digits), with spaces, dashes, brackets and `+86` prefixes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Mobile,
    Landline,
}

/// A valid phone: a mobile as 11 digits, a landline as `0573-81234567`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub number: String,
    pub kind: PhoneKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a mobile number has 11 digits starting 13–19; a landline starts with its area code (0573-81234567)")]
    Invalid,
}

/// Area codes of three digits: Beijing (010) and the 02X cities; every other area code has
/// four digits.
pub(super) fn area_code_len(digits: &str) -> usize {
    if digits.starts_with("010") || digits.starts_with("02") {
        3
    } else {
        4
    }
}

/// Characters offices put inside one number to group its digits; never a letter or a word.
fn is_grouping(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// No phone, however dressed, has more digits than `0086` and an area code with 8 digits.
const MAX_DIGITS: usize = 16;

/// Parses one phone as typed: grouping spaces, dashes, dots and brackets (ASCII or full-width)
/// are dropped, then a `+86`/`0086` prefix.
pub fn parse_phone(raw: &str) -> Result<Phone, PhoneError> {
    let half = super::to_halfwidth(raw);
    let mut digits = String::with_capacity(MAX_DIGITS);
    let mut plus = false;
    for c in half.chars() {
        match c {
            '0'..='9' if digits.len() < MAX_DIGITS => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            c if is_grouping(c) => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    let national = if plus {
        digits.strip_prefix("86").ok_or(PhoneError::Invalid)?
    } else {
        digits.strip_prefix("0086").unwrap_or(&digits)
    };
    let international = national.len() != digits.len();
    let d = national.as_bytes();
    if d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]) {
        return Ok(Phone { number: national.to_owned(), kind: PhoneKind::Mobile });
    }
    // `+86 573 8123 4567`, `+86 10 …`: the international form drops the trunk 0 of the area
    // code (mobiles were read above).
    let national = if international && !national.starts_with('0') {
        format!("0{national}")
    } else {
        national.to_owned()
    };
    let d = national.as_bytes();
    if d.first() == Some(&b'0') && d.get(1).is_some_and(|b| *b != b'0') {
        let area = area_code_len(&national);
        if (7..=8).contains(&d.len().saturating_sub(area)) {
            return Ok(Phone {
                number: format!("{}-{}", &national[..area], &national[area..]),
                kind: PhoneKind::Landline,
            });
        }
    }
    Err(PhoneError::Invalid)
}

/// One piece of a cell that may hold several phones, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhonePart {
    Valid(Phone),
    /// Not a phone, kept as typed (trimmed, full-width made ASCII) so nothing is lost.
    Invalid(String),
}

/// Separators offices put between numbers, never inside one (after full-width forms became
/// ASCII, so `，` `；` `／` are covered).
const BETWEEN: [char; 7] = ['/', ',', '、', ';', '\n', '\r', '|'];

/// Spaces may group the digits of one number or separate two numbers; a phone spans at most
/// this many space-separated tokens (`+86 138 1234 5678`, `( 0573 ) 8123 4567`).
const MAX_TOKENS: usize = 6;

/// A cell holding several phones (`13812345678/0573-81234567`, one per line, separated by
/// spaces, …), each part in order. An empty cell gives no parts.
pub fn parse_phones(raw: &str) -> Vec<PhonePart> {
    let half = super::to_halfwidth(raw);
    let mut parts = Vec::new();
    for piece in half.split(BETWEEN).map(str::trim).filter(|p| !p.is_empty()) {
        if let Ok(p) = parse_phone(piece) {
            parts.push(PhonePart::Valid(p));
            continue;
        }
        // Space-separated: the longest run of tokens from each position that reads as a phone.
        let tokens: Vec<&str> = piece.split_whitespace().collect();
        let mut unread: Vec<&str> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let longest = (i + 1..=tokens.len().min(i + MAX_TOKENS))
                .rev()
                .find_map(|j| parse_phone(&tokens[i..j].join(" ")).ok().map(|p| (j, p)));
            match longest {
                Some((j, p)) => {
                    if !unread.is_empty() {
                        parts.push(PhonePart::Invalid(unread.join(" ")));
                        unread.clear();
                    }
                    parts.push(PhonePart::Valid(p));
                    i = j;
                }
                None => {
                    unread.push(tokens[i]);
                    i += 1;
                }
            }
        }
        if !unread.is_empty() {
            parts.push(PhonePart::Invalid(unread.join(" ")));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobiles_in_every_office_spelling() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "0086-13812345678",
            "１３８１２３４５６７８",
        ] {
            let p = parse_phone(raw).unwrap_or_else(|_| panic!("{raw} should parse"));
            assert_eq!(p.number, "13812345678");
            assert_eq!(p.kind, PhoneKind::Mobile);
        }
    }

    #[test]
    fn landlines_keep_their_area_code() {
        assert_eq!(parse_phone("0573-81234567").map(|p| p.number), Ok("0573-81234567".into()));
        assert_eq!(parse_phone("(0573)8123456").map(|p| p.number), Ok("0573-8123456".into()));
        assert_eq!(parse_phone("010 12345678").map(|p| p.number), Ok("010-12345678".into()));
        assert_eq!(parse_phone("021-6123456").map(|p| p.number), Ok("021-6123456".into()));
    }

    #[test]
    fn other_shapes_are_invalid() {
        for raw in [
            "1381234",
            "12812345678",
            "138123456789",
            "81234567",
            "0573-123",
            "138x2345678",
            "无",
            "00573-81234567",
        ] {
            assert_eq!(parse_phone(raw), Err(PhoneError::Invalid), "{raw}");
        }
    }

    #[test]
    fn international_forms_of_a_landline_get_their_trunk_zero_back() {
        assert_eq!(parse_phone("+86 573 8123 4567").map(|p| p.number), Ok("0573-81234567".into()));
        assert_eq!(parse_phone("+86 10 1234 5678").map(|p| p.number), Ok("010-12345678".into()));
        assert_eq!(parse_phone("+1 415 555 0100"), Err(PhoneError::Invalid), "not a Chinese phone");
    }

    fn numbers(parts: &[PhonePart]) -> Vec<String> {
        parts
            .iter()
            .map(|p| match p {
                PhonePart::Valid(p) => p.number.clone(),
                PhonePart::Invalid(raw) => format!("?{raw}"),
            })
            .collect()
    }

    #[test]
    fn several_phones_in_one_cell_come_apart_in_order() {
        assert_eq!(
            numbers(&parse_phones("13812345678/0573-81234567；13987654321")),
            ["13812345678", "0573-81234567", "13987654321"]
        );
        assert_eq!(
            numbers(&parse_phones("138 1234 5678 0573 8123 4567\n13987654321、无")),
            ["13812345678", "0573-81234567", "13987654321", "?无"],
            "spaces group digits and separate numbers; what is no phone is kept as typed"
        );
        assert_eq!(numbers(&parse_phones("1381234 13812345678")), ["?1381234", "13812345678"]);
        assert!(parse_phones(" \u{3000} ").is_empty());
    }

    proptest! {
        #[test]
        fn any_mobile_in_any_dress_normalises_to_its_eleven_digits(
            second in 3u8..=9,
            rest in "[0-9]{9}",
            prefix in prop::sample::select(vec!["", "+86", "0086", "+86 ", "(+86)", "+86-"]),
            dress in prop::collection::vec((0usize..5, any::<bool>()), 11),
        ) {
            let plain = format!("1{second}{rest}");
            let mut dressed = prefix.to_owned();
            for (c, (sep, wide)) in plain.chars().zip(dress) {
                dressed.push_str(["", "", " ", "-", "\u{3000}"][sep]);
                dressed.push(if wide { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c });
            }
            let p = parse_phone(&dressed).expect("valid mobile");
            prop_assert_eq!(&p.number, &plain);
            prop_assert_eq!(p.kind, PhoneKind::Mobile);
            let in_a_list = parse_phones(&format!("{dressed}/0573-81234567"));
            prop_assert_eq!(in_a_list.first(), Some(&PhonePart::Valid(p)));
        }

        #[test]
        fn any_text_is_judged_without_panicking(s in "\\PC{0,30}") {
            let _ = parse_phone(&s);
            let _ = parse_phones(&s);
        }

        #[test]
        fn any_cell_of_digits_and_separators_is_judged_without_panicking(s in "[0-9 +()/,、-]{0,60}") {
            let _ = parse_phones(&s);
        }
    }
}
