//! The shared course schema every connector maps into and every reader sees.
//!
//! Connectors produce [`ListingDraft`]s (a course as one source lists it, with its
//! [`RunDraft`]s); the store keeps them and the export turns them into courses.

mod ids;
mod listing;
mod vocab;

pub use ids::{SourceId, SourceIdError, listing_id};
pub use listing::{Effort, ListingDraft, RawDates, Rejection, RunDraft};
pub use vocab::{Access, Availability, ListingStatus, Pacing, RunOutcome};
