//! What travels between a device and the server (docs/sync.md is the prose of the same
//! protocol). Every synced thing is a [`Row`]: an entity name, an id, its fields and a stamp
//! per field, so one merge rule (last writer wins by (HLC, site id), with request status
//! ordered by (round, rank)) serves residents, requests, reference data and the server's
//! own rows (aliases, conflicts) alike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who wrote a value: the HLC stamp and the site (store) that made it. Ordered by HLC, then
/// site id, so two devices always agree on which of two writes is the later.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Stamp(pub i64, pub String);

impl Stamp {
    pub fn hlc(&self) -> i64 {
        self.0
    }
    pub fn site(&self) -> &str {
        &self.1
    }
}

/// The entities that sync. Reference data (`REFERENCE`, and tags) is visible to every device of a
/// district whatever its scope.
pub mod entity {
    pub const AREA: &str = "area";
    pub const TAG: &str = "tag";
    pub const RESIDENT: &str = "resident";
    pub const REQUEST: &str = "request";
    pub const REQUEST_EVENT: &str = "request_event";
    /// The server's: an id that was merged into another (`fields.entity`, `fields.to`).
    pub const ALIAS: &str = "alias";
    /// The server's: an edit that another replaced, for the conflicts page.
    pub const CONFLICT: &str = "conflict";
    pub const CATEGORY: &str = "category";
    pub const SLA_POLICY: &str = "sla_policy";
    pub const CALENDAR_DAY: &str = "calendar_day";
    pub const DISTRICT_SETTING: &str = "district_setting";
    pub const CHECKIN_RULE: &str = "checkin_rule";
    pub const SKILL: &str = "skill";
    pub const CATEGORY_SERVICE: &str = "category_service";
    pub const SHOP: &str = "shop";
    pub const VOLUNTEER: &str = "volunteer";
    pub const ASSIGNMENT: &str = "assignment";
    pub const POINTS_ENTRY: &str = "points_entry";
    /// The server's: what a volunteer is booked for and holds in points, as the server counts
    /// them to decide (devices count from their own rows and skip it).
    pub const VOLUNTEER_STATE: &str = "volunteer_state";
    /// The server's: the assignment last made for a request (`fields.assignment`), so a
    /// second volunteer sent to it from another laptop is refused while the first is active
    /// (devices skip it).
    pub const REQUEST_VOLUNTEER: &str = "request_volunteer";
    /// The server's: how many requests the district's retention purged, per month, category,
    /// priority, outcome and area, and how many of them kept their deadlines (reference data
    /// every device pulls; no device writes it).
    pub const REQUEST_TALLY: &str = "request_tally";

    pub const REFERENCE: [&str; 8] = [
        CATEGORY,
        SLA_POLICY,
        CALENDAR_DAY,
        DISTRICT_SETTING,
        CHECKIN_RULE,
        SKILL,
        CATEGORY_SERVICE,
        SHOP,
    ];

    pub fn is_reference(e: &str) -> bool {
        REFERENCE.contains(&e) || e == TAG
    }
}

/// One synced row. A created row carries one creation stamp; a field edited later carries its
/// own stamp in `stamps` (the design brief: a clock per field only once a field is edited).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub entity: String,
    pub id: String,
    pub fields: Map<String, Value>,
    pub created: Stamp,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stamps: BTreeMap<String, Stamp>,
    /// A tombstone: the row is gone but its id stays known, so a late edit cannot revive it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Where the server's pull stream put it (0 on the way up).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl Row {
    pub fn new(entity: &str, id: impl Into<String>, created: Stamp) -> Row {
        Row {
            entity: entity.to_owned(),
            id: id.into(),
            fields: Map::new(),
            created,
            stamps: BTreeMap::new(),
            deleted: false,
            version: 0,
        }
    }

    /// The stamp of a field: its own, or the creation stamp.
    pub fn stamp(&self, field: &str) -> &Stamp {
        self.stamps.get(field).unwrap_or(&self.created)
    }

    pub fn str(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    pub fn set(&mut self, field: &str, value: Value) {
        self.fields.insert(field.to_owned(), value);
    }

    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Row {
        self.fields.insert(field.to_owned(), value.into());
        self
    }
}

/// One outbox operation on its way to the server: the command's intent (`kind`, `payload`,
/// as the device recorded it) and the rows it wrote, read from the store when it is pushed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub op_id: String,
    pub seq: i64,
    pub kind: String,
    pub hlc: i64,
    /// The actor recorded on the device: the account, or the local profile before login.
    pub actor: String,
    pub at: String,
    pub payload: Value,
    #[serde(default)]
    pub rows: Vec<Row>,
    /// HMAC-SHA256 of the op's canonical bytes under the device's secret: an op changed on
    /// the way (or made by someone holding only an access token) is refused.
    #[serde(default)]
    pub mac: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The district the device holds; a push for any other district is refused.
    pub district: String,
    pub site_id: String,
    /// The device's pull cursor: a stored value newer than it was not seen by the device, so
    /// overwriting it is a conflict to show, not an ordinary edit.
    #[serde(default)]
    pub seen_version: i64,
    pub ops: Vec<Op>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// The server said no (a rule, the user's rights); the device undoes the op and shows why.
    Rejected {
        /// In English, for devices that do not know `refusal`'s code and for logs.
        reason: String,
        /// Read leniently: a code from a newer server is `None`, not a failed push.
        #[serde(
            default,
            deserialize_with = "crate::refusal::lenient",
            skip_serializing_if = "Option::is_none"
        )]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        refusal: Option<crate::Refusal>,
    },
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpResult {
    pub seq: i64,
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The server's copies of the rows the op touched, when they differ from what the device
    /// wrote (a rejected op's rows as they stand, an id merged into another, a status the
    /// server decided). A row the server does not have comes back as a tombstone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Row>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    /// The server's clock, which the device's HLC follows (clamped when far ahead).
    pub server_hlc: i64,
    pub server_time_ms: i64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub district: String,
    pub cursor: i64,
    #[serde(default = "default_limit")]
    pub limit: u32,
}

fn default_limit() -> u32 {
    2000
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub rows: Vec<Row>,
    /// Where the next page starts.
    pub cursor: i64,
    /// The district's version now: `cursor == head` means caught up (and drives the progress
    /// bar of a first sync).
    pub head: i64,
    pub more: bool,
    /// The cursor is older than the server's tombstone horizon: drop the synced rows and pull
    /// again from zero (pending operations stay in the outbox).
    #[serde(default)]
    pub resync: bool,
    pub server_hlc: i64,
    pub server_time_ms: i64,
}

/// A [`PullResponse`] as the server sends it: each row is the JSON the server stored, sent
/// without being parsed and written again (a first sync sends a district's every row). The
/// same bytes on the wire as `PullResponse`.
#[derive(Debug, Serialize)]
pub struct RawPullResponse {
    pub rows: Vec<Box<serde_json::value::RawValue>>,
    pub cursor: i64,
    pub head: i64,
    pub more: bool,
    pub resync: bool,
    pub server_hlc: i64,
    pub server_time_ms: i64,
}

/// The roles of the design brief, from the widest to the narrowest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CityAdmin,
    DistrictSupervisor,
    StreetOfficial,
    CommunityOfficial,
    GridLead,
    GridOfficial,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::CityAdmin,
        Role::DistrictSupervisor,
        Role::StreetOfficial,
        Role::CommunityOfficial,
        Role::GridLead,
        Role::GridOfficial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CityAdmin => "city_admin",
            Role::DistrictSupervisor => "district_supervisor",
            Role::StreetOfficial => "street_official",
            Role::CommunityOfficial => "community_official",
            Role::GridLead => "grid_lead",
            Role::GridOfficial => "grid_official",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Reference data (categories, deadlines, the calendar, the district's mode) is the
    /// district's to set.
    pub fn edits_reference_data(self) -> bool {
        matches!(self, Role::CityAdmin | Role::DistrictSupervisor)
    }
}

/// Who pushes or pulls, as the server authenticated them: what the rules check at apply time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub user_name: String,
    pub role: Role,
    pub district: String,
    /// The area the user is granted (its id), or `None` for the whole district.
    pub scope_area: Option<String>,
    pub device_id: String,
}

/// `POST /v1/login`: a user name and password, and the device asking.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// What the official calls this laptop ("社区办公室 2号机").
    pub device_name: String,
    pub site_id: String,
}

/// What a device keeps after logging in: who the user is, the revocable device token (long
/// lived, stored), the secret its ops are signed with, and a short-lived access token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub user_id: String,
    pub user_name: String,
    pub display_name: String,
    pub role: Role,
    pub district: String,
    /// The area the user is granted, as names from the district down ("东栅街道/建设社区"),
    /// and its id; both empty for the whole district.
    pub scope_path: String,
    pub scope_area: Option<String>,
    pub device_id: String,
    pub device_token: String,
    pub device_secret: String,
    pub access_token: String,
    pub access_expires_ms: i64,
}

/// `POST /v1/token`: a fresh access token for a device token that is not revoked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub device_token: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub access_expires_ms: i64,
}

/// Every error body of the API: a stable code and a sentence for a person.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// The MAC of an op: HMAC-SHA256 over its JSON with `mac` empty, under the device's secret.
pub fn op_mac(secret: &str, op: &Op) -> String {
    use hmac::{Hmac, Mac};
    let mut unsigned = op.clone();
    unsigned.mac.clear();
    let bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(&bytes);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks an op's MAC in constant time.
pub fn op_mac_ok(secret: &str, op: &Op) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(given) = hex::decode(&op.mac) else { return false };
    let mut unsigned = op.clone();
    unsigned.mac.clear();
    let bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(&bytes);
    mac.verify_slice(&given).is_ok()
}
