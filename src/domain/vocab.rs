//! The closed vocabularies of the schema, spelled as in the export and the database.

use serde::{Deserialize, Serialize};

/// How a run is paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pacing {
    /// Learners go at their own pace.
    #[serde(rename = "self")]
    SelfPaced,
    /// The course team sets the pace (fixed dates).
    Instructor,
}

/// How a listing can be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Free,
    Paid,
    /// Free to audit, with a paid certificate.
    FreePaidCertificate,
}

/// Where a run stands relative to now, derived from its dates (never copied from a
/// platform's display string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Upcoming,
    Current,
    Archived,
    SelfPaced,
    Unknown,
}

/// Whether a listing is still offered by its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Active,
    /// A complete, successful run of the source no longer listed it. Never deleted.
    Withdrawn,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// How a sync run ended, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still in progress (or the process died; a later run marks it `abandoned`).
    Running,
    /// Complete; the catalogue now reflects the source.
    Succeeded,
    /// Nothing was changed in the catalogue; `first_error` says why.
    Failed,
    /// Cut short on purpose (shutdown, crash recovery); nothing was changed.
    Abandoned,
    /// Complete, but it saw far fewer listings than were active (the volume-drop guard):
    /// its upserts were applied, nothing was withdrawn; `first_error` says why. An operator
    /// accepts the drop with `coursefed sync SOURCE --accept-drop`.
    Suspect,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
            Self::Suspect => "suspect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(Self::Running),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            "abandoned" => Some(Self::Abandoned),
            "suspect" => Some(Self::Suspect),
            _ => None,
        }
    }
}
