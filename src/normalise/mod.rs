//! Pure normalisation shared by every connector: text, HTML, dates and calendars,
//! languages, effort and duration. No I/O; property-tested.

mod chinese;
pub mod dates;
pub mod effort;
pub mod html;
pub mod language;
pub mod text;
pub mod thai;
