//! Fuzz target `actions`: see `bodies::actions`.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one of the bodies
mod bodies;
#[path = "../../native/src/cli/config.rs"]
#[allow(dead_code)]
mod config;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::actions(data));
