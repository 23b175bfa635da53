//! Helpers shared by integration test crates (each uses only some of them).
#![allow(dead_code)]

pub mod html5lib;
pub mod rng;
