//! PRC resident identity numbers (GB 11643-1999): 17 digits and a MOD 11-2 check character,
//! with the holder's birth date and sex inside; first-generation 15-digit numbers upgraded.

use chrono::{Datelike, NaiveDate};

use crate::residents::Sex;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// A valid identity number, normalised to 18 characters with an upper-case `X`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub number: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an identity number has 18 characters (or 15 digits for an old one)")]
    Length,
    #[error("an identity number is made of digits, with an X only at the end")]
    Characters,
    #[error("the birth date inside the identity number is not a real date")]
    BirthDate,
    #[error("the birth date inside the identity number is in the future")]
    Future,
    #[error("the last character does not match the others (a digit is probably mistyped)")]
    Checksum,
}

/// The MOD 11-2 check character of the first 17 digits (ASCII). Callers validate the digits
/// first; anything else still yields some character rather than a panic.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 =
        first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d.wrapping_sub(b'0')) * w).sum();
    CHECK[(sum % 11) as usize] as char
}

/// Parses an identity number as typed (spaces, full-width digits, lower-case `x` allowed).
pub fn parse_id_number(raw: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
    let s: String = super::to_halfwidth(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = s.as_bytes();
    let number = match bytes.len() {
        18 => {
            if !bytes[..17].iter().all(u8::is_ascii_digit)
                || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
            {
                return Err(IdError::Characters);
            }
            s
        }
        15 => {
            if !bytes.iter().all(u8::is_ascii_digit) {
                return Err(IdError::Characters);
            }
            // First-generation numbers carry a two-digit year of the 1900s.
            let mut first17 = Vec::with_capacity(17);
            first17.extend_from_slice(&bytes[..6]);
            first17.extend_from_slice(b"19");
            first17.extend_from_slice(&bytes[6..15]);
            let mut upgraded =
                String::from_utf8(first17.clone()).map_err(|_| IdError::Characters)?;
            upgraded.push(check_char(&first17));
            upgraded
        }
        _ => {
            let all_id_chars = bytes.iter().all(|b| b.is_ascii_digit() || *b == b'X');
            return Err(if all_id_chars { IdError::Length } else { IdError::Characters });
        }
    };
    let b = number.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let birth_date = NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14))
        .ok_or(IdError::BirthDate)?;
    if birth_date > today {
        return Err(IdError::Future);
    }
    if birth_date.year() < 1850 {
        return Err(IdError::BirthDate);
    }
    if check_char(&b[..17]) != b[17] as char {
        return Err(IdError::Checksum);
    }
    let sex = if (b[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female };
    Ok(IdNumber { number, birth_date, sex })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()))
    }

    #[test]
    fn a_valid_number_gives_birth_date_and_sex() {
        let id = with_check("33040219800101123");
        let p = parse_id_number(&id, today()).expect("valid");
        assert_eq!(p.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).expect("date"));
        assert_eq!(p.sex, Sex::Male, "an odd 17th digit is a man");
    }

    #[test]
    fn lower_case_x_spaces_and_fullwidth_digits_are_read() {
        // 11010519491231002X is the standard's own example.
        let p = parse_id_number("１１０１０５ 1949 1231 002x", today()).expect("valid");
        assert_eq!(p.number, "11010519491231002X");
        assert_eq!(p.sex, Sex::Female);
    }

    #[test]
    fn fifteen_digits_are_upgraded_to_eighteen() {
        let p = parse_id_number("110105491231002", today()).expect("valid old number");
        assert_eq!(p.number, "11010519491231002X");
    }

    #[test]
    fn each_rule_has_its_reason() {
        assert_eq!(parse_id_number("1234", today()), Err(IdError::Length));
        assert_eq!(parse_id_number("11010519491231002Y", today()), Err(IdError::Characters));
        assert_eq!(
            parse_id_number(&with_check("11010519490231002"), today()),
            Err(IdError::BirthDate)
        );
        assert_eq!(
            parse_id_number(&with_check("11010520300101002"), today()),
            Err(IdError::Future)
        );
        assert_eq!(parse_id_number("110105194912310021", today()), Err(IdError::Checksum));
    }

    fn first17() -> impl Strategy<Value = String> {
        (0u32..1_000_000, 1900i32..2026, 1u32..=12, 1u32..=28, 0u32..1000)
            .prop_map(|(region, y, m, d, seq)| format!("{region:06}{y:04}{m:02}{d:02}{seq:03}"))
    }

    proptest! {
        #[test]
        fn any_number_with_its_check_char_parses_and_round_trips(f in first17()) {
            let id = with_check(&f);
            let p = parse_id_number(&id, today()).expect("valid");
            prop_assert_eq!(&p.number, &id);
            prop_assert_eq!(parse_id_number(&p.number, today()).expect("again"), p);
        }

        #[test]
        fn changing_any_one_digit_is_caught(f in first17(), pos in 0usize..18, delta in 1u8..10) {
            let id = with_check(&f);
            let mut b = id.clone().into_bytes();
            b[pos] = if b[pos] == b'X' { b'0' + delta % 10 } else { b'0' + (b[pos] - b'0' + delta) % 10 };
            let changed = String::from_utf8(b).expect("ascii");
            prop_assert!(parse_id_number(&changed, today()).is_err(), "{} → {} accepted", id, changed);
        }

        #[test]
        fn fifteen_digit_numbers_upgrade_to_valid_eighteen(
            (region, y, m, d, seq) in (0u32..1_000_000, 0u32..100, 1u32..=12, 1u32..=28, 0u32..1000)
        ) {
            let old = format!("{region:06}{y:02}{m:02}{d:02}{seq:03}");
            let p = parse_id_number(&old, today()).expect("valid");
            prop_assert_eq!(p.number.len(), 18);
            prop_assert!(parse_id_number(&p.number, today()).is_ok());
        }

        #[test]
        fn any_text_is_judged_without_panicking(s in "\\PC{0,40}") {
            let _ = parse_id_number(&s, today());
        }
    }
}
