//! Identity numbers, phones and text normalisation: the rules every roster row is judged by,
//! and the masks that keep identity numbers and phones out of lists and messages.

pub mod id_number;
mod phone;

pub use id_number::{parse_id_number, IdError, IdNumber};
pub use phone::{parse_phone, parse_phones, Phone, PhoneError, PhoneKind};

use unicode_normalization::UnicodeNormalization;

/// Spaces a spreadsheet cell may carry at either end: ASCII, the ideographic space U+3000,
/// no-break spaces and the zero-width marks that copy-paste from web pages leaves behind.
fn is_pad(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{3000}' | '\u{00A0}' | '\u{200B}' | '\u{FEFF}')
}

/// Trims spaces (ASCII, full-width and no-break) from both ends and normalises to NFC.
pub fn clean_text(s: &str) -> String {
    let trimmed = s.trim_matches(is_pad);
    if trimmed.is_ascii() {
        return trimmed.to_owned();
    }
    trimmed.nfc().collect()
}

/// Full-width digits, letters and punctuation (U+FF01..U+FF5E) to their ASCII forms, and the
/// ideographic space to a space: Chinese input methods type identity numbers and phones so.
pub fn to_halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// `330402********1234`: the region and the last four, enough to tell two people apart on a
/// call list, not enough to impersonate anyone.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `138****5678` for mobiles; landlines keep the area code and the last four.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let keep_head = match phone.find('-') {
        Some(dash) => dash + 1,
        None => 3,
    };
    let head: String = chars[..keep_head.min(chars.len() - 4)].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - head.chars().count() - 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_trims_every_kind_of_space_and_composes() {
        assert_eq!(clean_text("\u{3000} 张三\u{00A0}\t"), "张三");
        assert_eq!(clean_text("e\u{301}"), "\u{e9}", "NFC composes");
        assert_eq!(clean_text("   "), "");
    }

    #[test]
    fn fullwidth_digits_and_letters_become_ascii() {
        assert_eq!(to_halfwidth("３３０４０２ｘ－１"), "330402x-1");
    }

    #[test]
    fn masks_keep_only_what_tells_people_apart() {
        assert_eq!(mask_id_number("330402198001011234"), "330402********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0573-81234567"), "0573-****4567");
        assert_eq!(mask_phone("123"), "***");
    }
}
