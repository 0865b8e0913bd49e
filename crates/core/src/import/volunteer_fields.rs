//! The fields of a volunteer roster and the header names offices give them, for the shared
//! header detection (`header::detect_fields`). Names are in matching form: case-folded, no
//! spaces, no `_` `-` `.` (see `header::normalise_header`).

use super::header::FieldSet;

/// What a volunteer roster's columns can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VolunteerField {
    Name,
    Phone,
    IdNumber,
    Street,
    Community,
    Grid,
    Skills,
    Availability,
    Capacity,
    Health,
    Vehicle,
    Notes,
}

impl VolunteerField {
    pub const ALL: [VolunteerField; 12] = [
        VolunteerField::Name,
        VolunteerField::Phone,
        VolunteerField::IdNumber,
        VolunteerField::Street,
        VolunteerField::Community,
        VolunteerField::Grid,
        VolunteerField::Skills,
        VolunteerField::Availability,
        VolunteerField::Capacity,
        VolunteerField::Health,
        VolunteerField::Vehicle,
        VolunteerField::Notes,
    ];
}

impl FieldSet for VolunteerField {
    fn all() -> &'static [VolunteerField] {
        &VolunteerField::ALL
    }

    fn key(self) -> &'static str {
        match self {
            VolunteerField::Name => "name",
            VolunteerField::Phone => "phone",
            VolunteerField::IdNumber => "id_number",
            VolunteerField::Street => "street",
            VolunteerField::Community => "community",
            VolunteerField::Grid => "grid",
            VolunteerField::Skills => "skills",
            VolunteerField::Availability => "availability",
            VolunteerField::Capacity => "capacity",
            VolunteerField::Health => "health",
            VolunteerField::Vehicle => "vehicle",
            VolunteerField::Notes => "notes",
        }
    }

    fn primary_names() -> &'static [(VolunteerField, &'static [&'static str])] {
        PRIMARY
    }

    fn fallback_names() -> &'static [(VolunteerField, &'static [&'static str])] {
        FALLBACK
    }

    fn phone() -> Option<VolunteerField> {
        Some(VolunteerField::Phone)
    }
}

const PRIMARY: &[(VolunteerField, &[&str])] = &[
    (
        VolunteerField::Name,
        &[
            "姓名",
            "志愿者姓名",
            "志愿者",
            "人员姓名",
            "本人姓名",
            "名字",
            "name",
            "fullname",
            "volunteer",
            "volunteername",
        ],
    ),
    (
        VolunteerField::Phone,
        &[
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "电话号码",
            "联系方式",
            "联系手机",
            "移动电话",
            "本人电话",
            "phone",
            "phoneno",
            "phonenumber",
            "mobile",
            "mobileno",
            "mobilenumber",
            "mobilephone",
            "cellphone",
            "tel",
            "telephone",
            "contact",
            "contactnumber",
        ],
    ),
    (
        VolunteerField::IdNumber,
        &[
            "身份证号",
            "身份证号码",
            "身份证",
            "证件号码",
            "证件号",
            "公民身份号码",
            "居民身份证号码",
            "身份证件号码",
            "idnumber",
            "idno",
            "idcard",
            "idcardno",
            "idcardnumber",
            "identitynumber",
            "nationalid",
        ],
    ),
    (
        VolunteerField::Street,
        &["街道", "所属街道", "所在街道", "乡镇街道", "镇街", "街镇", "street", "subdistrict"],
    ),
    (
        VolunteerField::Community,
        &[
            "社区",
            "所属社区",
            "所在社区",
            "社区名称",
            "居委会",
            "社区居委会",
            "村(社区)",
            "村/社区",
            "村居",
            "community",
            "neighbourhood",
            "neighborhood",
        ],
    ),
    (
        VolunteerField::Grid,
        &[
            "网格",
            "所在网格",
            "所属网格",
            "网格名称",
            "网格号",
            "小区",
            "所在小区",
            "居住小区",
            "小区名称",
            "grid",
            "gridname",
            "gridno",
        ],
    ),
    (
        VolunteerField::Skills,
        &[
            "技能",
            "特长",
            "技能特长",
            "专业特长",
            "服务类型",
            "可提供服务",
            "可提供的服务",
            "服务技能",
            "服务内容",
            "服务项目",
            "志愿服务类型",
            "服务意向",
            "擅长",
            "skills",
            "skill",
            "services",
            "service",
            "speciality",
            "specialty",
            "expertise",
        ],
    ),
    (
        VolunteerField::Availability,
        &[
            "可服务时间",
            "服务时间",
            "空闲时间",
            "可服务时段",
            "服务时段",
            "空闲时段",
            "可参与时间",
            "可服务时长",
            "availability",
            "available",
            "availabletime",
            "availabletimes",
            "freetime",
            "hours",
            "schedule",
        ],
    ),
    (
        VolunteerField::Capacity,
        &[
            "同时任务数",
            "可接单数",
            "可同时接单数",
            "同时接单数",
            "最多接单数",
            "接单数",
            "capacity",
            "maxtasks",
            "tasksatonce",
        ],
    ),
    (
        VolunteerField::Health,
        &[
            "健康状况",
            "健康码",
            "是否隔离",
            "健康状态",
            "身体状况",
            "隔离状态",
            "health",
            "healthstatus",
            "healthcode",
            "quarantine",
        ],
    ),
    (
        VolunteerField::Vehicle,
        &[
            "交通工具",
            "车辆",
            "是否有车",
            "有无车辆",
            "车辆情况",
            "出行方式",
            "vehicle",
            "car",
            "transport",
            "transportation",
        ],
    ),
    (
        VolunteerField::Notes,
        &[
            "备注",
            "备注说明",
            "备注信息",
            "说明",
            "其他说明",
            "notes",
            "note",
            "remarks",
            "remark",
            "comments",
            "memo",
        ],
    ),
];

/// A landline beside the mobile: a further phone, kept in the notes.
const FALLBACK: &[(VolunteerField, &[&str])] = &[(
    VolunteerField::Phone,
    &[
        "固定电话",
        "座机",
        "家庭电话",
        "备用电话",
        "其他电话",
        "其他联系电话",
        "landline",
        "homephone",
        "otherphone",
    ],
)];
