//! The adapter conformance suite on every crossdrive driver: one test per
//! check per driver, named `<check>::<driver>`
//! (`three_set_cookie_headers_stay_three::direct`). Declared differences
//! come from each driver's entry in the driver table; a known difference
//! passes and prints its reason (`cargo test -- --nocapture`), and the
//! full matrix is `cargo xtask conformance`.

crossdrive_adapters::conformance! { app = crossdrive_adapters::conformance::echo::app; }

/// The matrix published in docs/conformance-matrix.md (after its one-line
/// header) must be what a fresh run reports; `cargo xtask conformance`
/// regenerates it.
#[test]
fn the_published_matrix_matches_a_fresh_run() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reports = rt.block_on(crossdrive_adapters::conformance::run_all(
        crossdrive_adapters::conformance::echo::app,
    ));
    let fresh = crossdrive::conformance::matrix(&reports);
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/conformance-matrix.md"
    ))
    .unwrap();
    let (_header, published) = page.split_once('\n').unwrap();
    assert_eq!(
        published.trim(),
        fresh.trim(),
        "docs/conformance-matrix.md is stale; run `cargo xtask conformance` and commit it"
    );
    for report in &reports {
        assert!(report.is_success(), "{report}");
    }
}
