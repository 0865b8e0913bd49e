//! Messages in the official's language (zh-CN or en) for reason codes. Identity numbers and
//! phones in messages are masked: reports are shown on screen and exported.

use crate::import::issue::{IssueCode, RowIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// `zh-CN`, `zh`, `zh_CN.UTF-8` → Chinese; `en…` → English.
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

    /// The system's language from `LC_ALL`, `LC_MESSAGES`, `LANG` (English when unset).
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .find_map(|v| Lang::from_tag(&v))
            .unwrap_or(Lang::En)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

fn shown(issue: &RowIssue) -> String {
    let Some(v) = issue.value.as_deref() else { return String::new() };
    let masked = match issue.field {
        "id_number" => crate::identity::mask_id_number(v),
        "phone" => crate::identity::mask_phone(v),
        _ => v.chars().take(40).collect(),
    };
    masked
}

/// A message an official can act on.
pub fn issue_message(lang: Lang, issue: &RowIssue) -> String {
    let v = shown(issue);
    match (lang, issue.code) {
        (Lang::ZhCn, IssueCode::CellTooLong) => "有单元格超过 64 KB，可能粘贴了整段内容，请检查后重新导入".into(),
        (Lang::En, IssueCode::CellTooLong) => "a cell is longer than 64 KB (probably pasted text); check the row and import again".into(),
        (Lang::ZhCn, IssueCode::MissingName) => "缺少姓名".into(),
        (Lang::En, IssueCode::MissingName) => "the name is missing".into(),
        (Lang::ZhCn, IssueCode::InvalidIdNumber) => format!("身份证号码“{v}”无效（应为 18 位，末位校验码正确，出生日期真实）"),
        (Lang::En, IssueCode::InvalidIdNumber) => format!("the identity number “{v}” is not valid (18 characters, a real birth date, a matching check character)"),
        (Lang::ZhCn, IssueCode::IdNumberMangledByExcel) => format!("身份证号码“{v}”被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式，重新录入号码后再导入"),
        (Lang::En, IssueCode::IdNumberMangledByExcel) => format!("the identity number “{v}” was stored by Excel as a number and lost its last digits: format the column as Text, re-enter the numbers and import again"),
        (Lang::ZhCn, IssueCode::InvalidPhone) => format!("联系电话“{v}”无效（手机 11 位，固话需带区号，如 0573-81234567）"),
        (Lang::En, IssueCode::InvalidPhone) => format!("the phone “{v}” is not valid (a mobile has 11 digits; a landline needs its area code, e.g. 0573-81234567)"),
        (Lang::ZhCn, IssueCode::MissingIdentity) => "身份证号码和联系电话至少填一项，否则无法识别此人".into(),
        (Lang::En, IssueCode::MissingIdentity) => "give an identity number or a phone, or this person cannot be told apart".into(),
        (Lang::ZhCn, IssueCode::SexConflictsWithId) => format!("性别“{v}”与身份证号码不符，已按身份证号码记录"),
        (Lang::En, IssueCode::SexConflictsWithId) => format!("the sex “{v}” contradicts the identity number; the identity number was used"),
        (Lang::ZhCn, IssueCode::BirthDateConflictsWithId) => format!("出生日期“{v}”与身份证号码不符，已按身份证号码记录"),
        (Lang::En, IssueCode::BirthDateConflictsWithId) => format!("the birth date “{v}” contradicts the identity number; the identity number was used"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_from_the_environment_forms() {
        assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
    }

    #[test]
    fn messages_mask_identity_numbers_and_phones() {
        let issue = RowIssue {
            field: "id_number",
            code: IssueCode::InvalidIdNumber,
            value: Some("330402198001011235".into()),
        };
        let m = issue_message(Lang::ZhCn, &issue);
        assert!(m.contains("330402********1235"), "{m}");
        assert!(!m.contains("19800101"), "the birth date part is hidden: {m}");
        let phone = RowIssue {
            field: "phone",
            code: IssueCode::InvalidPhone,
            value: Some("1381234567".into()),
        };
        assert!(issue_message(Lang::En, &phone).contains("138***4567"));
    }
}
