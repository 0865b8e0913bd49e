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
fn area_code_len(digits: &str) -> usize {
    if digits.starts_with("010") || digits.starts_with("02") {
        3
    } else {
        4
    }
}

/// Parses one phone as typed.
pub fn parse_phone(raw: &str) -> Result<Phone, PhoneError> {
    let half = super::to_halfwidth(raw);
    let trimmed = half.trim();
    let mut digits: String = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '（' | '）' | '.' | '\u{2013}' | '\u{2014}' => {}
            '+' if i == 0 => digits.push('+'),
            _ => return Err(PhoneError::Invalid),
        }
    }
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .map(str::to_owned)
        .unwrap_or(digits);
    let d = digits.as_bytes();
    if d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]) {
        return Ok(Phone { number: digits, kind: PhoneKind::Mobile });
    }
    if d.first() == Some(&b'0') && d.iter().all(u8::is_ascii_digit) {
        let area = area_code_len(&digits);
        let local = d.len().saturating_sub(area);
        if d.len() > area && (7..=8).contains(&local) && d.get(1) != Some(&b'0') {
            return Ok(Phone {
                number: format!("{}-{}", &digits[..area], &digits[area..]),
                kind: PhoneKind::Landline,
            });
        }
    }
    Err(PhoneError::Invalid)
}

/// A cell holding several phones (`13812345678/0573-81234567`, one per line, …): each part
/// parsed, in order. Separators are the ones offices use between numbers, never inside one.
pub fn parse_phones(raw: &str) -> Vec<Result<Phone, PhoneError>> {
    let half = super::to_halfwidth(raw);
    half.split(['/', ',', '，', '、', ';', '；', '\n', '\r', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(|part| {
            // "13812345678 13987654321": two mobiles split by a space.
            let pieces: Vec<&str> = part.split_whitespace().collect();
            if pieces.len() > 1 && pieces.iter().all(|p| parse_phone(p).is_ok()) {
                pieces.into_iter().map(parse_phone).collect::<Vec<_>>()
            } else {
                vec![parse_phone(part)]
            }
        })
        .collect()
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
    fn several_phones_in_one_cell_come_apart_in_order() {
        let got: Vec<String> = parse_phones("13812345678/0573-81234567；13987654321")
            .into_iter()
            .map(|p| p.expect("valid").number)
            .collect();
        assert_eq!(got, ["13812345678", "0573-81234567", "13987654321"]);
        assert_eq!(parse_phones("13812345678 13987654321").len(), 2);
    }

    proptest! {
        #[test]
        fn any_mobile_in_any_dress_normalises_to_its_eleven_digits(
            second in 3u8..=9, rest in "[0-9]{9}", prefix in prop::sample::select(vec!["", "+86", "0086", "+86 "]),
            sep in prop::sample::select(vec!["", " ", "-"]), fullwidth in any::<bool>()
        ) {
            let plain = format!("1{second}{rest}");
            let mut dressed = format!("{prefix}{}{sep}{}{sep}{}", &plain[..3], &plain[3..7], &plain[7..]);
            if fullwidth {
                dressed = dressed.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap_or(c) } else { c }).collect();
            }
            let p = parse_phone(&dressed).expect("valid mobile");
            prop_assert_eq!(p.number, plain);
        }

        #[test]
        fn any_text_is_judged_without_panicking(s in "\\PC{0,30}") {
            let _ = parse_phone(&s);
            let _ = parse_phones(&s);
        }
    }
}
