//! [`Bench`]: a user's bench binary, its command line and `bench_main!`.

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use crate::Scenario;
use axum::Router;

use crate::{Drivers, IntoApp};

/// A bench over one app: its scenarios, its drivers, run from the command
/// line.
///
/// ```no_run
/// use crossdrive::Scenario;
/// use crossdrive::scenario::Step;
/// use crossdrive::bench::Bench;
///
/// fn app() -> axum::Router {
///     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
/// }
///
/// fn main() -> std::process::ExitCode {
///     Bench::new(app)
///         .scenarios(vec![Scenario::new("hello").step(Step::get("/hello").expect(200))])
///         .run_from_args()
/// }
/// ```
#[derive(Clone)]
pub struct Bench {
    app: Arc<dyn Fn() -> Router + Send + Sync>,
    scenarios: Vec<Scenario>,
    default_scenarios: Option<Vec<String>>,
    drivers: Drivers,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.scenarios.iter().map(Scenario::name).collect();
        f.debug_struct("Bench")
            .field("scenarios", &names)
            .field("drivers", &self.drivers.names())
            .finish_non_exhaustive()
    }
}

impl Bench {
    /// A bench over `app`, a factory (of an axum `Router` or any
    /// [`IntoApp`]) called once per driver and per floor of
    /// every cell, so each measures a fresh app; on the built-in drivers.
    ///
    /// ```
    /// use crossdrive::{Drivers, bench::Bench};
    /// let bench = Bench::new(axum::Router::new);
    /// let shown = format!("{bench:?}");
    /// assert!(shown.contains(&format!("{:?}", Drivers::builtin().names())), "{shown}");
    /// ```
    pub fn new<A: IntoApp>(app: impl Fn() -> A + Send + Sync + 'static) -> Self {
        Self {
            app: Arc::new(move || app().into_app()),
            scenarios: Vec::new(),
            default_scenarios: None,
            drivers: Drivers::builtin(),
        }
    }

    /// The scenarios, in table order; `--scenario` chooses among them.
    ///
    /// ```
    /// use crossdrive::{Scenario, scenario::Step};
    /// use crossdrive::bench::Bench;
    /// let bench = Bench::new(axum::Router::new)
    ///     .scenarios(vec![Scenario::new("list_items").step(Step::get("/items").expect(200))]);
    /// assert!(format!("{bench:?}").contains("[\"list_items\"]"));
    /// ```
    #[must_use]
    pub fn scenarios(mut self, scenarios: Vec<Scenario>) -> Self {
        self.scenarios = scenarios;
        self
    }

    /// The scenarios run when `--scenario` is not given (default: all of
    /// them); the others run only when named. Load mode runs the first.
    ///
    /// ```
    /// # use crossdrive::bench::Bench;
    /// let bench = Bench::new(axum::Router::new).default_scenarios(["list_items"]);
    /// # let _ = bench;
    /// ```
    #[must_use]
    pub fn default_scenarios<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.default_scenarios = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// The drivers, in table order (default [`Drivers::builtin`]);
    /// `--driver` chooses among them.
    ///
    /// ```
    /// use std::process::ExitCode;
    /// use crossdrive::{Scenario, scenario::Step};
    /// use crossdrive::{DriverSpec, Drivers, bench::Bench};
    /// # let scenarios = || vec![Scenario::new("hello").step(Step::get("/").expect(404))];
    /// let bench = Bench::new(axum::Router::new).scenarios(scenarios());
    /// let direct_only = bench.clone().drivers(Drivers::empty().with(DriverSpec::direct()));
    /// assert!(format!("{direct_only:?}").contains("drivers: [\"direct\"]"));
    /// // no drivers at all: refused as bad input (exit code 2), nothing measured
    /// assert_eq!(bench.drivers(Drivers::empty()).run_with(["api"], |_| None), ExitCode::from(2));
    /// ```
    #[must_use]
    pub fn drivers(mut self, drivers: Drivers) -> Self {
        self.drivers = drivers;
        self
    }

    /// Serves the `lambda-runtime` child if this process is one, then runs
    /// the bench from this process's arguments and environment; return its
    /// [`ExitCode`] from `main`.
    ///
    /// ```no_run
    /// use crossdrive::{Scenario, scenario::Step};
    /// use crossdrive::bench::Bench;
    ///
    /// fn app() -> axum::Router {
    ///     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
    /// }
    ///
    /// // `cargo bench --bench api -- --quick --driver direct` runs it as a bench.
    /// fn main() -> std::process::ExitCode {
    ///     Bench::new(app)
    ///         .scenarios(vec![Scenario::new("hello").step(Step::get("/hello").expect(200))])
    ///         .run_from_args()
    /// }
    /// ```
    pub fn run_from_args(self) -> ExitCode {
        let app = Arc::clone(&self.app);
        serve_lambda_child(move || app());
        self.run_with(std::env::args_os(), |key| std::env::var_os(key))
    }

    /// Runs the bench with `argv` (program name first) and the environment
    /// read through `env`. Prints the tables and any refusal; never exits.
    ///
    /// ```
    /// use std::process::ExitCode;
    /// use crossdrive::{Scenario, scenario::Step};
    /// use crossdrive::bench::Bench;
    /// let bench = Bench::new(axum::Router::new)
    ///     .scenarios(vec![Scenario::new("hello").step(Step::get("/").expect(404))]);
    /// // an unknown driver is refused before anything is measured
    /// let code = bench.run_with(["api", "--driver", "no-such-driver"], |_| None);
    /// assert_eq!(code, ExitCode::from(2));
    /// ```
    pub fn run_with<I, T>(self, argv: I, env: impl Fn(&str) -> Option<OsString>) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut argv = argv.into_iter().map(Into::into).peekable();
        let program = argv.peek().cloned().unwrap_or_default();
        if let Err(message) = self.check() {
            return fail(2, &message);
        }
        let names: Vec<&str> = self.scenarios.iter().map(Scenario::name).collect();
        let catalog = super::args::Catalog {
            drivers: self.drivers.names(),
            default_scenarios: match &self.default_scenarios {
                Some(defaults) => defaults.iter().map(String::as_str).collect(),
                None => names.clone(),
            },
            scenarios: names,
            command: command_name(&program),
        };
        let plan = match super::args::parse(argv, env, &catalog) {
            Ok(plan) => plan,
            Err(super::args::ArgsError::Clap(e)) => {
                // clap's own rendering (help, or the error with its hint),
                // as `Args::parse` would print it, without exiting.
                let _ = e.print();
                return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
            }
            Err(usage) => return fail(usage.exit_code(), &usage.to_string()),
        };
        match super::run::run(&plan, &*self.app, &self.scenarios, &self.drivers) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => fail(failure.code(), failure.message()),
        }
    }

    /// Refuses a bench that cannot run whatever the flags: no scenarios or
    /// drivers, a malformed scenario, a name used twice, an unknown default.
    fn check(&self) -> Result<(), String> {
        if self.scenarios.is_empty() {
            return Err(
                "the bench has no scenarios; pass some with `scenarios = my_scenarios;` in \
                 bench_main! or Bench::scenarios"
                    .into(),
            );
        }
        if self.drivers.names().is_empty() {
            return Err(
                "the bench has no drivers; use Drivers::builtin() or add one with .with(..)".into(),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for scenario in &self.scenarios {
            scenario.validate().map_err(|e| e.to_string())?;
            if seen.contains(&scenario.name()) {
                return Err(format!(
                    "two scenarios are named `{}`; give each its own name",
                    scenario.name()
                ));
            }
            seen.push(scenario.name());
        }
        for name in self.default_scenarios.iter().flatten() {
            if !seen.contains(&name.as_str()) {
                return Err(format!(
                    "default scenario `{name}` is not one of the bench's scenarios; choose from: {}",
                    seen.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("crossdrive bench: {message}");
    ExitCode::from(code)
}

/// `cargo bench --bench api --` for a bench binary cargo named
/// `api-3d216c882bec4d6e`, for usage lines.
fn command_name(program: &OsString) -> String {
    let stem = std::path::Path::new(program)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    };
    if name.is_empty() {
        "cargo bench --".to_owned()
    } else {
        format!("cargo bench --bench {name} --")
    }
}

/// Serves the app as the `lambda-runtime` child and exits, if this process
/// is one (without the `lambda` feature there is no such child); what
/// [`bench_main!`] does first of all.
#[doc(hidden)]
pub fn serve_lambda_child(app: impl FnOnce() -> Router) {
    #[cfg(feature = "lambda")]
    crate::lambda::runtime::serve_if_child(app);
    #[cfg(not(feature = "lambda"))]
    let _ = app;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_line_names_the_bench_without_cargos_hash() {
        assert_eq!(
            command_name(&"target/release/deps/api-3d216c882bec4d6e".into()),
            "cargo bench --bench api --"
        );
        assert_eq!(
            command_name(&"latency".into()),
            "cargo bench --bench latency --"
        );
    }
}
