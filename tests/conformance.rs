//! The adapter conformance suite on every crossdrive driver: one test per
//! check per driver, named `<driver>::<check>`
//! (`direct::three_set_cookie_headers_stay_three`). Declared differences
//! come from each driver's entry in the driver table; a known difference
//! passes and prints its reason (`cargo test -- --nocapture`), and the
//! full matrix is `cargo xtask conformance`.

mod support;

crossdrive::conformance! { app = crossdrive::conformance::echo::app; }

/// The matrix published in docs/conformance-matrix.md (after its one-line
/// header) must be what a fresh run reports; `cargo xtask conformance`
/// regenerates it.
#[test]
fn the_published_matrix_matches_a_fresh_run() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reports = rt.block_on(crossdrive::conformance::run_all(
        crossdrive::conformance::echo::app,
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

/// A conformance run over a list holding only a driver of the user's own:
/// `only = [mine]` writes exactly its tests, so the count is what ran.
mod only_mine {
    use std::sync::Arc;

    use crossdrive::{Direct, DriverSpec, Drivers, direct};

    fn mine() -> Drivers {
        Drivers::empty().with(
            DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
                .differences(direct::KNOWN_DIFFERENCES),
        )
    }

    crossdrive::conformance! { drivers = mine; only = [mine]; }
}

#[test]
fn a_conformance_run_over_one_driver_lists_one_test_per_check_and_no_other() {
    let listed = support::listed_tests();
    let ours: Vec<&str> = listed
        .lines()
        .filter(|line| line.starts_with("only_mine::"))
        .collect();
    assert_eq!(
        ours.len(),
        crossdrive::conformance::CHECKS.len(),
        "{ours:#?}"
    );
    assert!(
        ours.iter()
            .all(|line| line.starts_with("only_mine::mine::")),
        "{ours:#?}"
    );
}
