//! The adapter conformance suite on every crossdrive driver: one test per
//! check per driver, named `<check>::<driver>`
//! (`three_set_cookie_headers_stay_three::direct`). Declared differences
//! come from each driver's entry in the driver table; a known difference
//! passes and prints its reason (`cargo test -- --nocapture`), and the
//! full matrix is `cargo xtask conformance`.

crossdrive_adapters::conformance! { app = crossdrive_fixtures::echo::app; }
