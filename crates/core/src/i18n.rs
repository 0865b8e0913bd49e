//! Messages in the official's language (zh-CN or en) for reason codes. Identity numbers and
//! phones in messages are masked: reports are shown on screen and exported, never logged.

use chrono::NaiveDate;

use crate::identity::{self, IdError};
use crate::import::issue::{IssueCode, RowIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// `zh-CN`, `zh`, `zh_CN.UTF-8`, `zh-Hans` → Chinese; `en…`, `C`, `POSIX` → English;
    /// anything else is not a language we speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let t = tag.trim().to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if t.starts_with("en") || t == "c" || t.starts_with("c.") || t == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The system's language as POSIX decides it: the first of `LC_ALL`, `LC_MESSAGES` and
    /// `LANG` that is set wins; Chinese when it says so, English otherwise.
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
        Lang::from_locale(locale.as_deref())
    }

    fn from_locale(locale: Option<&str>) -> Lang {
        match locale.and_then(Lang::from_tag) {
            Some(Lang::ZhCn) => Lang::ZhCn,
            _ => Lang::En,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A field key (`id_number`, …) as an official calls the column.
pub fn field_label(lang: Lang, key: &str) -> &'static str {
    let (zh, en) = match key {
        "name" => ("姓名", "name"),
        "sex" => ("性别", "sex"),
        "id_number" => ("身份证号码", "identity number"),
        "phone" => ("联系电话", "phone"),
        "street" => ("街道", "street"),
        "community" => ("社区", "community"),
        "grid" => ("网格", "grid"),
        "building" => ("楼栋", "building"),
        "unit" => ("单元", "unit"),
        "room" => ("房号", "room"),
        "address" => ("住址", "address"),
        "tags" => ("人员类别", "tags"),
        "notes" => ("备注", "notes"),
        "birth_date" => ("出生日期", "birth date"),
        _ => ("其他列", "another column"),
    };
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The offending value as a message may show it: identity numbers and phones masked, other
/// values shortened, on one line.
fn shown(issue: &RowIssue) -> String {
    let Some(v) = issue.value.as_deref() else { return String::new() };
    let masked = match issue.field {
        "id_number" => identity::mask_id_number(v),
        "phone" => identity::mask_phone(v),
        _ => v.chars().take(40).collect(),
    };
    masked.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Why an identity number was refused. The date in the future is the one rule that needs
/// today; an otherwise valid number can only have failed on it.
fn id_reason(raw: &str) -> IdError {
    match identity::parse_id_number(raw, NaiveDate::MAX) {
        Ok(_) => IdError::Future,
        Err(e) => e,
    }
}

fn invalid_id(lang: Lang, v: &str, raw: &str) -> String {
    match (lang, id_reason(raw)) {
        (Lang::ZhCn, IdError::Length) => {
            format!("身份证号码“{v}”位数不对：应为 18 位（老号码为 15 位），请与身份证核对")
        }
        (Lang::En, IdError::Length) => format!(
            "the identity number “{v}” has the wrong length: it has 18 characters (15 digits for \
             an old one); check it against the ID card"
        ),
        (Lang::ZhCn, IdError::Characters) => {
            format!("身份证号码“{v}”含有多余字符：前 17 位是数字，末位是数字或 X")
        }
        (Lang::En, IdError::Characters) => format!(
            "the identity number “{v}” holds other characters: 17 digits, then a digit or X"
        ),
        (Lang::ZhCn, IdError::BirthDate) => {
            format!("身份证号码“{v}”中的出生日期不是真实的日期，请与身份证核对")
        }
        (Lang::En, IdError::BirthDate) => format!(
            "the birth date inside the identity number “{v}” is not a real date; check it \
             against the ID card"
        ),
        (Lang::ZhCn, IdError::Future) => {
            format!("身份证号码“{v}”中的出生日期晚于今天，请与身份证核对")
        }
        (Lang::En, IdError::Future) => format!(
            "the birth date inside the identity number “{v}” is after today; check it against \
             the ID card"
        ),
        (Lang::ZhCn, IdError::Checksum) => format!(
            "身份证号码“{v}”的末位校验码对不上，多半有一位数字录错或两位颠倒，请与身份证核对"
        ),
        (Lang::En, IdError::Checksum) => format!(
            "the last character of the identity number “{v}” does not match the others: a digit \
             is probably mistyped or two are swapped; check it against the ID card"
        ),
    }
}

/// A message an official can act on.
pub fn issue_message(lang: Lang, issue: &RowIssue) -> String {
    let v = shown(issue);
    let column = field_label(lang, issue.field);
    match (lang, issue.code) {
        (Lang::ZhCn, IssueCode::CellTooLong) => {
            format!("“{column}”单元格超过 64 KB，可能误粘贴了大段内容；请删减后重新导入")
        }
        (Lang::En, IssueCode::CellTooLong) => format!(
            "a cell ({column}) is longer than 64 KB, probably pasted by mistake; shorten it and \
             import again"
        ),
        (Lang::ZhCn, IssueCode::MissingName) => "姓名为空：请补填姓名后重新导入".into(),
        (Lang::En, IssueCode::MissingName) => {
            "the name is empty: fill it in and import again".into()
        }
        (_, IssueCode::InvalidIdNumber) => {
            invalid_id(lang, &v, issue.value.as_deref().unwrap_or_default())
        }
        (Lang::ZhCn, IssueCode::IdNumberMangledByExcel) => format!(
            "身份证号码被 Excel 存成了数字（显示为“{v}”），第 15 位之后的数字已经丢失，无法恢复。\
             请在 Excel 中选中该列，设置单元格格式为“文本”，按身份证重新录入这些号码后再导入"
        ),
        (Lang::En, IssueCode::IdNumberMangledByExcel) => format!(
            "Excel stored the identity number as a number (“{v}”) and dropped every digit after \
             the 15th, which cannot be recovered. In Excel, format the column as Text, re-enter \
             these numbers from the ID cards and import again"
        ),
        (Lang::ZhCn, IssueCode::InvalidPhone) => format!(
            "联系电话“{v}”无效：手机号为 1 开头的 11 位数字，固定电话须带区号（如 \
             0573-81234567）"
        ),
        (Lang::En, IssueCode::InvalidPhone) => format!(
            "the phone “{v}” is not valid: a mobile has 11 digits starting with 1; a landline \
             needs its area code (0573-81234567)"
        ),
        (Lang::ZhCn, IssueCode::MissingIdentity) => {
            "身份证号码和联系电话都为空：请至少填写一项，否则无法识别此人".into()
        }
        (Lang::En, IssueCode::MissingIdentity) => {
            "both the identity number and the phone are empty: give at least one, or this \
             person cannot be told apart from others"
                .into()
        }
        (Lang::ZhCn, IssueCode::SexConflictsWithId) => {
            format!("性别“{v}”与身份证号码不符，已按身份证号码记录")
        }
        (Lang::En, IssueCode::SexConflictsWithId) => {
            format!("the sex “{v}” contradicts the identity number; the identity number was used")
        }
        (Lang::ZhCn, IssueCode::BirthDateConflictsWithId) => {
            format!("出生日期“{v}”与身份证号码不符，已按身份证号码记录")
        }
        (Lang::En, IssueCode::BirthDateConflictsWithId) => format!(
            "the birth date “{v}” contradicts the identity number; the identity number was used"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(field: &'static str, code: IssueCode, value: &str) -> RowIssue {
        RowIssue { field, code, value: Some(value.into()) }
    }

    #[test]
    fn language_tags_in_every_form_the_system_and_the_user_give() {
        assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("zh-Hans"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
        assert_eq!(Lang::from_locale(Some("zh_TW.UTF-8")), Lang::ZhCn);
        assert_eq!(Lang::from_locale(Some("de_DE")), Lang::En, "unknown languages get English");
        assert_eq!(Lang::from_locale(None), Lang::En);
    }

    #[test]
    fn messages_mask_identity_numbers_and_phones() {
        let id = issue("id_number", IssueCode::InvalidIdNumber, "330402198001011235");
        let m = issue_message(Lang::ZhCn, &id);
        assert!(m.contains("330***********1235"), "{m}");
        assert!(!m.contains("19800101"), "the birth date part is hidden: {m}");
        let phone = issue("phone", IssueCode::InvalidPhone, "1381234567");
        assert!(issue_message(Lang::En, &phone).contains("138***4567"));
        let mangled = issue("id_number", IssueCode::IdNumberMangledByExcel, "330402198001011000");
        for lang in [Lang::ZhCn, Lang::En] {
            let m = issue_message(lang, &mangled);
            assert!(m.contains("330***********1000") && !m.contains("19800101"), "{m}");
        }
    }

    #[test]
    fn an_invalid_id_number_says_which_rule_it_broke() {
        let say =
            |v: &str| issue_message(Lang::En, &issue("id_number", IssueCode::InvalidIdNumber, v));
        assert!(say("3304021980010112").contains("wrong length"));
        assert!(say("33040219800101123Y").contains("other characters"));
        assert!(say("330402198002301230").contains("not a real date"));
        assert!(say("330402198001011235").contains("mistyped"));
        let first17 = "11010529991231002";
        let future = format!("{first17}{}", identity::id_number::check_char(first17.as_bytes()));
        assert!(say(&future).contains("after today"));
    }

    #[test]
    fn the_mangled_number_message_tells_how_to_fix_the_workbook() {
        let m = issue_message(
            Lang::ZhCn,
            &issue("id_number", IssueCode::IdNumberMangledByExcel, "330402198001011000"),
        );
        assert!(m.contains("文本") && m.contains("重新录入"), "{m}");
        let m = issue_message(
            Lang::En,
            &issue("id_number", IssueCode::IdNumberMangledByExcel, "330402198001011000"),
        );
        assert!(m.contains("format the column as Text"), "{m}");
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        for code in [
            IssueCode::CellTooLong,
            IssueCode::MissingName,
            IssueCode::InvalidIdNumber,
            IssueCode::IdNumberMangledByExcel,
            IssueCode::InvalidPhone,
            IssueCode::MissingIdentity,
            IssueCode::SexConflictsWithId,
            IssueCode::BirthDateConflictsWithId,
        ] {
            for lang in [Lang::ZhCn, Lang::En] {
                let m = issue_message(lang, &RowIssue { field: "name", code, value: None });
                assert!(!m.is_empty() && !m.contains('\n'), "{code:?} {lang:?}: {m}");
            }
        }
    }
}
