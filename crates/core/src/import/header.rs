//! Header detection: which row names the columns, and which known field each column is.
//! Offices name columns in many ways; the synonym table below is matched after trimming,
//! case-folding, removing spaces and the decorations templates add ("姓名*", "身份证号码(必填)").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::source::{Cell, RawRow};

/// The fields the importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Sex,
    IdNumber,
    Phone,
    Street,
    Community,
    Grid,
    Building,
    Unit,
    Room,
    Address,
    Tags,
    Notes,
    BirthDate,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Name,
        Field::Sex,
        Field::IdNumber,
        Field::Phone,
        Field::Street,
        Field::Community,
        Field::Grid,
        Field::Building,
        Field::Unit,
        Field::Room,
        Field::Address,
        Field::Tags,
        Field::Notes,
        Field::BirthDate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Sex => "sex",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Street => "street",
            Field::Community => "community",
            Field::Grid => "grid",
            Field::Building => "building",
            Field::Unit => "unit",
            Field::Room => "room",
            Field::Address => "address",
            Field::Tags => "tags",
            Field::Notes => "notes",
            Field::BirthDate => "birth_date",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// Header names by field, already in matching form (lower case, no spaces).
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "姓名",
            "居民姓名",
            "人员姓名",
            "户主姓名",
            "名字",
            "姓名(必填)",
            "name",
            "fullname",
            "residentname",
        ],
    ),
    (Field::Sex, &["性别", "sex", "gender"]),
    (
        Field::IdNumber,
        &[
            "身份证号码",
            "身份证号",
            "身份证",
            "公民身份号码",
            "公民身份证号码",
            "证件号码",
            "身份证件号码",
            "证件号",
            "idnumber",
            "idno",
            "idno.",
            "idcard",
            "idcardnumber",
            "nationalid",
            "identitynumber",
        ],
    ),
    (
        Field::Phone,
        &[
            "联系电话",
            "手机号码",
            "手机号",
            "手机",
            "移动电话",
            "联系方式",
            "电话",
            "电话号码",
            "本人电话",
            "phone",
            "mobile",
            "mobilephone",
            "tel",
            "telephone",
            "phonenumber",
        ],
    ),
    (
        Field::Street,
        &[
            "街道",
            "所属街道",
            "街道(镇)",
            "镇街",
            "乡镇(街道)",
            "镇(街道)",
            "street",
            "subdistrict",
        ],
    ),
    (
        Field::Community,
        &[
            "所属社区",
            "社区",
            "社区名称",
            "居委会",
            "村(社区)",
            "社区(村)",
            "所在社区",
            "community",
            "neighbourhood",
            "neighborhood",
        ],
    ),
    (Field::Grid, &["网格", "所属网格", "网格名称", "网格号", "网格编号", "grid", "gridname"]),
    (Field::Building, &["楼栋", "楼号", "幢", "栋", "楼幢", "楼栋号", "幢号", "building", "bldg"]),
    (Field::Unit, &["单元", "单元号", "unit"]),
    (
        Field::Room,
        &["房号", "室", "房间号", "门牌号", "户号", "室号", "room", "roomno", "apartment", "flat"],
    ),
    (
        Field::Address,
        &[
            "住址",
            "家庭住址",
            "现住址",
            "居住地址",
            "详细地址",
            "地址",
            "户籍地址",
            "address",
            "homeaddress",
        ],
    ),
    (
        Field::Tags,
        &[
            "人员类别",
            "人员类型",
            "人员分类",
            "标签",
            "特殊人群",
            "重点人群",
            "人群类别",
            "类别",
            "tags",
            "tag",
            "category",
            "categories",
        ],
    ),
    (Field::Notes, &["备注", "说明", "备注说明", "notes", "note", "remarks", "remark", "comments"]),
    (
        Field::BirthDate,
        &[
            "出生日期",
            "出生年月",
            "出生年月日",
            "生日",
            "birthdate",
            "dateofbirth",
            "dob",
            "birthday",
        ],
    ),
];

/// Second phone columns: kept as an attribute beside the main phone, used as the phone only
/// when no other phone column exists.
const LANDLINE_HEADERS: &[&str] =
    &["固定电话", "座机", "家庭电话", "宅电", "landline", "homephone"];

/// The matching form of a header cell: case-folded, spaces removed, and template decorations
/// (a trailing `*` or `：`, a bracketed hint such as `(必填)` or `（选填）`) dropped.
pub fn normalise_header(text: &str) -> String {
    let half = crate::identity::to_halfwidth(text);
    let mut s: String = half
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .flat_map(char::to_lowercase)
        .collect();
    loop {
        let before = s.len();
        s = s.trim_end_matches(['*', ':', '：', '＊']).trim_start_matches(['*', '＊']).to_owned();
        if let Some(open) = s.rfind('(') {
            if s.ends_with(')') && open > 0 {
                let hint = &s[open + 1..s.len() - 1];
                if ["必填", "选填", "可选", "必须", "required", "optional", "18位", "11位"]
                    .contains(&hint)
                    || hint.contains('填')
                {
                    s.truncate(open);
                }
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

fn known_field(norm: &str) -> Option<Field> {
    SYNONYMS.iter().find(|(_, names)| names.contains(&norm)).map(|(f, _)| *f)
}

/// A user's override of the detected columns, saved and reused:
/// `{"columns": {"header text": "field"}}`, where field is a key of [`Field`] or `ignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: BTreeMap<String, String>,
}

impl Mapping {
    fn role_for(&self, header: &str) -> Option<ColumnRole> {
        let wanted = normalise_header(header);
        self.columns.iter().find(|(h, _)| normalise_header(h) == wanted).map(|(h, field)| {
            match Field::from_key(field) {
                Some(f) => ColumnRole::Field(f),
                None if field == "ignore" => ColumnRole::Ignore,
                None => ColumnRole::Attribute(h.clone()),
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRole {
    Field(Field),
    /// An extra phone column: its value goes to attributes under this header.
    ExtraPhone(String),
    /// Kept as an attribute under this name.
    Attribute(String),
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The sheet row number of the header row.
    pub row: u32,
    pub columns: Vec<ColumnRole>,
    /// Header text → the field it was read as (`attribute`, `ignore`), for the report.
    pub mapping: BTreeMap<String, String>,
}

impl Header {
    pub fn has(&self, field: Field) -> bool {
        self.columns.contains(&ColumnRole::Field(field))
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => crate::identity::clean_text(s),
        Cell::Number(n) => n.to_string(),
        Cell::Date(d) | Cell::Error(d) => d.clone(),
        Cell::Bool(b) => b.to_string(),
        Cell::Empty => String::new(),
    }
}

/// The header is the first row among the first 10 whose cells name at least 3 known fields
/// (counting fields the user's mapping names).
pub fn detect(rows: &[RawRow], mapping: Option<&Mapping>) -> Option<Header> {
    rows.iter().take(10).find_map(|row| header_of(row, mapping))
}

fn header_of(row: &RawRow, mapping: Option<&Mapping>) -> Option<Header> {
    let texts: Vec<String> = row.cells.iter().map(cell_text).collect();
    let mut columns = Vec::with_capacity(texts.len());
    let mut mapped = BTreeMap::new();
    let mut known = 0;
    for (i, text) in texts.iter().enumerate() {
        let norm = normalise_header(text);
        let role = if let Some(role) = mapping.and_then(|m| m.role_for(text)) {
            role
        } else if norm.is_empty() {
            // A column with no header still keeps its data, under its position.
            ColumnRole::Attribute(format!("列{}", i + 1))
        } else if let Some(f) = known_field(&norm) {
            ColumnRole::Field(f)
        } else if LANDLINE_HEADERS.contains(&norm.as_str()) {
            ColumnRole::ExtraPhone(text.clone())
        } else {
            ColumnRole::Attribute(text.clone())
        };
        // The same field named twice: the first column is the field, later ones are kept
        // under their own header (a second phone column among them).
        let role = match role {
            ColumnRole::Field(f) if columns.contains(&ColumnRole::Field(f)) => {
                if f == Field::Phone {
                    ColumnRole::ExtraPhone(text.clone())
                } else {
                    ColumnRole::Attribute(text.clone())
                }
            }
            r => r,
        };
        // A landline column names a known field too (it is a phone).
        if matches!(role, ColumnRole::Field(_) | ColumnRole::ExtraPhone(_)) {
            known += 1;
        }
        if !text.is_empty() {
            let as_field = match &role {
                ColumnRole::Field(f) => f.key().to_owned(),
                ColumnRole::ExtraPhone(_) | ColumnRole::Attribute(_) => "attribute".to_owned(),
                ColumnRole::Ignore => "ignore".to_owned(),
            };
            mapped.insert(text.clone(), as_field);
        }
        columns.push(role);
    }
    if known < 3 {
        return None;
    }
    // A landline column alone (no mobile column) is the phone.
    if !columns.contains(&ColumnRole::Field(Field::Phone)) {
        if let Some(pos) = columns.iter().position(|c| matches!(c, ColumnRole::ExtraPhone(_))) {
            if let ColumnRole::ExtraPhone(h) = &columns[pos] {
                mapped.insert(h.clone(), Field::Phone.key().to_owned());
            }
            columns[pos] = ColumnRole::Field(Field::Phone);
        }
    }
    Some(Header { row: row.row, columns, mapping: mapped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow {
            row: n,
            cells: cells
                .iter()
                .map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text((*c).into()) })
                .collect(),
        }
    }

    #[test]
    fn the_header_is_found_below_a_title_row() {
        let rows = [
            row(1, &["XX社区居民花名册", "", ""]),
            row(2, &["序号", "姓名", "身份证号码", "联系电话", "网格"]),
            row(3, &["1", "张三", "", "", ""]),
        ];
        let h = detect(&rows, None).expect("header");
        assert_eq!(h.row, 2);
        assert_eq!(h.columns[1], ColumnRole::Field(Field::Name));
        assert_eq!(h.columns[0], ColumnRole::Attribute("序号".into()), "unknown columns are kept");
    }

    #[test]
    fn decorations_case_and_spaces_do_not_hide_a_field() {
        for text in [
            "姓名*",
            "姓 名",
            "身份证号码(必填)",
            "身份证号码（必填）",
            "Phone ",
            "ID Number",
            "联系电话：",
        ] {
            assert!(
                known_field(&normalise_header(text)).is_some(),
                "{text} → {}",
                normalise_header(text)
            );
        }
    }

    #[test]
    fn fewer_than_three_known_fields_is_no_header() {
        assert!(detect(&[row(1, &["填表说明", "姓名"])], None).is_none());
    }

    #[test]
    fn a_second_phone_column_is_kept_beside_the_phone() {
        let h = detect(&[row(1, &["姓名", "手机", "固定电话", "社区"])], None).expect("header");
        assert_eq!(h.columns[1], ColumnRole::Field(Field::Phone));
        assert_eq!(h.columns[2], ColumnRole::ExtraPhone("固定电话".into()));
        let only_landline = detect(&[row(1, &["姓名", "固定电话", "社区"])], None).expect("header");
        assert_eq!(
            only_landline.columns[1],
            ColumnRole::Field(Field::Phone),
            "a landline alone is the phone"
        );
    }

    #[test]
    fn a_mapping_overrides_and_can_ignore() {
        let m = Mapping {
            columns: [
                ("户主电话".to_owned(), "phone".to_owned()),
                ("序号".to_owned(), "ignore".to_owned()),
            ]
            .into(),
        };
        let h = detect(&[row(1, &["序号", "姓名", "户主电话", "社区"])], Some(&m)).expect("header");
        assert_eq!(h.columns[0], ColumnRole::Ignore);
        assert_eq!(h.columns[2], ColumnRole::Field(Field::Phone));
        assert_eq!(h.mapping["户主电话"], "phone");
    }
}
