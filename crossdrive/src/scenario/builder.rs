//! [`Scenario`]: a named list of setup steps and timed steps, built by
//! chaining.

use super::{ScenarioError, Step};

/// A named sequence of requests and the answers they must get: one row of
/// a latency table.
///
/// ```
/// use crossdrive::Scenario;
/// use crossdrive::scenario::Step;
///
/// let hello = Scenario::new("simple_get").step(Step::get("/hello").expect(200));
/// assert_eq!(hello.name(), "simple_get");
/// let wrong = Scenario::new("Simple GET").step(Step::get("/hello").expect(200));
/// assert!(wrong.validate().unwrap_err().to_string().contains("snake_case"));
/// ```
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(super) name: String,
    pub(super) setup: Vec<Step>,
    pub(super) steps: Vec<Step>,
}

impl Scenario {
    /// An empty scenario named `name` (snake_case, checked by
    /// [`validate`](Self::validate)); add steps with [`step`](Self::step).
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("list_items");
    /// assert_eq!(s.name(), "list_items");
    /// assert!(s.validate().is_err()); // no step yet
    /// assert!(s.step(Step::get("/items").expect(200)).validate().is_ok());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            setup: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Adds a setup step: run once per app instance, untimed, before any
    /// iteration.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let read = Step::get("/items/1").header("if-none-match", "{etag}").expect(304);
    /// assert!(Scenario::new("cond").step(read.clone()).validate().is_err()); // {etag} undefined
    /// let seed = Step::put("/items/1").expect(201).capture("etag", "etag");
    /// assert!(Scenario::new("cond").setup(seed).step(read).validate().is_ok());
    /// ```
    #[must_use]
    pub fn setup(mut self, step: Step) -> Self {
        self.setup.push(step);
        self
    }

    /// Adds a step to every iteration.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("create_then_read")
    ///     .step(Step::post("/items").expect(201))
    ///     .step(Step::get("/items").expect(200));
    /// assert!(s.validate().is_ok());
    /// ```
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// The scenario's name.
    ///
    /// ```
    /// use crossdrive::Scenario;
    /// assert_eq!(Scenario::new("simple_get").name(), "simple_get");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether any of its steps (setup or timed) is an HTTP request rather
    /// than a [`Step::websocket`].
    pub(crate) fn sends_http(&self) -> bool {
        self.setup.iter().chain(&self.steps).any(Step::is_http)
    }

    /// Checks the scenario without running it: a snake_case name, at
    /// least one timed step, an expected status on every step, valid
    /// header names and values, and only variables that are defined.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("read").step(Step::get("/todos/{id}").expect(200));
    /// let error = s.validate().unwrap_err().to_string();
    /// assert!(error.contains("{id}"), "{error}");
    /// ```
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.compile().map(|_| ())
    }
}
