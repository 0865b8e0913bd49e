//! Identity numbers, phones and text normalisation: the rules every roster row is judged by,
//! and the masks that keep identity numbers and phones out of lists and messages.

pub mod id_number;
mod phone;

pub use id_number::{parse_id_number, IdError, IdNumber};
pub use phone::{parse_phone, parse_phones, Phone, PhoneError, PhoneKind, PhonePart};

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Spaces a spreadsheet cell may carry at either end: ASCII, the ideographic space U+3000,
/// no-break spaces and the zero-width marks that copy-paste from web pages leaves behind.
fn is_pad(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{3000}' | '\u{00A0}' | '\u{200B}' | '\u{FEFF}')
}

/// Trims spaces (ASCII, full-width and no-break) from both ends and normalises to NFC.
pub fn clean_text(s: &str) -> String {
    let trimmed = s.trim_matches(is_pad);
    // Nearly every cell is already NFC; the quick check spares a million-row import the
    // recomposition of each one.
    if trimmed.is_ascii() || is_nfc_quick(trimmed.chars()) == IsNormalized::Yes {
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

/// Whether a name is written in Chinese characters only (with the middle dot of minority
/// names). Such names carry no meaningful inner spaces: rosters pad two-character names to
/// line them up with three-character ones ("王　芳").
fn is_chinese_name(s: &str) -> bool {
    s.chars().all(|c| {
        is_pad(c)
            || c == '\u{00B7}'
            || matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
    })
}

/// A person's name as the importer keys it: [`clean_text`], the middle dot of minority names
/// in its one standard form (U+00B7, as the identity card prints it), and no inner spaces in a
/// name written in Chinese characters, so "王　芳" and "王芳" are the same person.
pub fn clean_name(s: &str) -> String {
    let cleaned = clean_text(s);
    if cleaned.is_ascii() {
        return cleaned;
    }
    let dotted: String = cleaned
        .chars()
        .map(|c| match c {
            '\u{2022}' | '\u{2027}' | '\u{30FB}' | '\u{FF65}' | '\u{2219}' => '\u{00B7}',
            _ => c,
        })
        .collect();
    if is_chinese_name(&dotted) {
        dotted.chars().filter(|c| !is_pad(*c)).collect()
    } else {
        dotted
    }
}

/// Masks a value's digits and letters except the first `head` and the last `tail`, keeping
/// separators where they were so an official still recognises the shape of what was typed.
/// A value too short to hide anything behind what it shows is masked whole.
fn mask_alnum(value: &str, head: usize, tail: usize) -> String {
    let half = to_halfwidth(value);
    let total = half.chars().filter(char::is_ascii_alphanumeric).count();
    let reveal = total > head + tail;
    let mut seen = 0;
    half.chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                return c;
            }
            seen += 1;
            if reveal && (seen <= head || seen > total - tail) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// `330***********1234`: the first three and the last four, enough to tell two people apart on
/// a call list (in one district the region digits are all alike anyway), not enough to
/// impersonate anyone; the birth date is hidden.
pub fn mask_id_number(id: &str) -> String {
    mask_alnum(id, 3, 4)
}

/// `138****5678` for mobiles; landlines keep their area code and the last four
/// (`0573-****4567`).
pub fn mask_phone(phone: &str) -> String {
    let half = to_halfwidth(phone);
    let digits: String = half.chars().filter(char::is_ascii_digit).collect();
    let head = if digits.starts_with('0') { phone::area_code_len(&digits) } else { 3 };
    mask_alnum(&half, head, 4)
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
        assert_eq!(mask_id_number("330402198001011234"), "330***********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0573-81234567"), "0573-****4567");
        assert_eq!(mask_phone("123"), "***");
        assert_eq!(mask_phone("１３８ 1234 5678"), "138 **** 5678", "separators stay");
        assert_eq!(mask_phone("1381234-5678"), "138****-5678", "a late dash reveals no more");
        assert_eq!(mask_id_number("1234"), "****", "a fragment is hidden whole");
    }

    #[test]
    fn names_in_chinese_lose_their_alignment_padding_and_others_keep_spaces() {
        assert_eq!(clean_name(" 王\u{3000}芳 "), "王芳");
        assert_eq!(clean_name("阿依古丽•买买提"), "阿依古丽\u{00B7}买买提");
        assert_eq!(clean_name("John  Smith "), "John  Smith");
        assert_eq!(clean_name("Anna 王"), "Anna 王");
    }
}
