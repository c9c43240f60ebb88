//! Shared test helpers: fresh databases on both backends, fixtures, mock platforms.
#![allow(dead_code)]

pub mod cli;
pub mod db;
pub mod openedx_mock;
